-- Row-level security on every tenant table (issue 7, defence in depth for tenancy).
-- Tenant queries run as pulse_app (SET LOCAL ROLE in each transaction, src/db/tenant-database.ts),
-- which neither owns the tables nor bypasses RLS, with the caller's organisation in the
-- transaction-local setting pulse.organization_id. The owner (migrations, the privileged paths)
-- is not subject to the policies: they are not FORCEd.

-- Roles belong to the whole cluster, so another database of it may have made pulse_app already,
-- or be making it at this moment.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pulse_app') THEN
    BEGIN
      CREATE ROLE pulse_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pulse_app' AND (rolsuper OR rolbypassrls)) THEN
    RAISE EXCEPTION 'role pulse_app must not be a superuser nor bypass row-level security';
  END IF;
  -- A superuser may SET ROLE to any role; another owner must be a member of pulse_app to switch to it.
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AND NOT pg_has_role(current_user, 'pulse_app', 'MEMBER') THEN
    EXECUTE format('GRANT pulse_app TO %I', current_user);
  END IF;
END $$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO pulse_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO pulse_app;
--> statement-breakpoint
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO pulse_app;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO pulse_app;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO pulse_app;
--> statement-breakpoint
-- Enables RLS with the tenant_isolation policy on every table of the public schema that has an
-- organization_id column (and on organizations, by its id) and lacks either; does nothing (and
-- takes no lock) when all have them. migrateDatabase calls it after every migration run, so a
-- table added by a later migration is covered without that migration having to remember it.
CREATE OR REPLACE FUNCTION pulse_apply_tenant_isolation() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  target record;
  tenant_key text;
  applied integer := 0;
BEGIN
  FOR target IN
    SELECT c.oid, c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type_name, c.relrowsecurity,
           EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation') AS has_policy
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND NOT a.attisdropped
      AND (a.attname = 'organization_id' OR (c.relname = 'organizations' AND a.attname = 'id'))
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
  LOOP
    CONTINUE WHEN target.relrowsecurity AND target.has_policy;
    tenant_key := format('%I = nullif(current_setting(%L, true), %L)::%s', target.attname, 'pulse.organization_id', '', target.type_name);
    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', target.relname);
    EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON public.%I', target.relname);
    EXECUTE format('CREATE POLICY tenant_isolation ON public.%I AS PERMISSIVE FOR ALL TO pulse_app USING (%s) WITH CHECK (%s)',
      target.relname, tenant_key, tenant_key);
    applied := applied + 1;
  END LOOP;
  RETURN applied;
END $$;
--> statement-breakpoint
SELECT pulse_apply_tenant_isolation();
