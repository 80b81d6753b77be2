-- Every existing organisation gets the built-in Administrator and Standard profiles and a CEO role;
-- its ADMIN users become Administrators in the CEO role, everyone else Standard (so access is
-- exactly what it was: every active user reads and writes the organisation's records).
INSERT INTO "profiles" ("organization_id", "id", "name", "built_in", "description", "module_permissions", "settings")
SELECT o."id", gen_random_uuid(), 'Administrator', 'ADMINISTRATOR', 'Every permission and every setting; sees every record.',
  '{"leads":["create","read","update","delete","import","export"],"contacts":["create","read","update","delete","import","export"],"accounts":["create","read","update","delete","import","export"],"deals":["create","read","update","delete","import","export"],"activities":["create","read","update","delete","import","export"],"notes":["create","read","update","delete","import","export"],"emails":["create","read","update","delete","import","export"],"signals":["create","read","update","delete","import","export"]}'::jsonb,
  ARRAY['users','organization','pipelines','forms','signals','rules','reports','fields','access','audit']
FROM "organizations" o;
--> statement-breakpoint
INSERT INTO "profiles" ("organization_id", "id", "name", "built_in", "description", "module_permissions", "settings")
SELECT o."id", gen_random_uuid(), 'Standard', 'STANDARD', 'Works with every module''s records; manages no settings.',
  '{"leads":["create","read","update","delete","import","export"],"contacts":["create","read","update","delete","import","export"],"accounts":["create","read","update","delete","import","export"],"deals":["create","read","update","delete","import","export"],"activities":["create","read","update","delete","import","export"],"notes":["create","read","update","delete","import","export"],"emails":["create","read","update","delete","import","export"],"signals":["create","read","update","delete","import","export"]}'::jsonb,
  ARRAY[]::text[]
FROM "organizations" o;
--> statement-breakpoint
INSERT INTO "roles" ("organization_id", "id", "name", "parent_id")
SELECT o."id", gen_random_uuid(), 'CEO', NULL FROM "organizations" o;
--> statement-breakpoint
UPDATE "users" u SET "profile_id" = p."id"
FROM "profiles" p
WHERE p."organization_id" = u."organization_id"
  AND p."built_in" = CASE WHEN u."role" = 'ADMIN' THEN 'ADMINISTRATOR' ELSE 'STANDARD' END;
--> statement-breakpoint
UPDATE "users" u SET "role_id" = r."id"
FROM "roles" r
WHERE r."organization_id" = u."organization_id" AND u."role" = 'ADMIN';
