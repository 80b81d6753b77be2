import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf, type Db } from '../src/db/database.js';
import { withGenericPlans, withGenericPlansOnceLarge } from '../src/db/generic-plans.js';
import { inTransaction } from '../src/db/transaction.js';
import { signUpOrganization } from './factories/organizations.factory.js';
import { useTestServer } from './helpers/test-server.js';

const server = useTestServer({ JOB_WORKERS: 'false' });

const planMode = async (tx: Db): Promise<string> => String(rowsOf<{ plan_cache_mode: string }>(await tx.execute(sql`show plan_cache_mode`))[0]?.plan_cache_mode);

describe('generic plans for batch inserts', () => {
  it('frees the plans of the work it wraps only, and the transaction goes back to the connection setting', async () => {
    const admin = await signUpOrganization(server().client);
    const db = server().server.deps.database.forOrganization(admin.organizationId);
    const seen = await inTransaction(db, async (tx) => {
      const before = await planMode(tx);
      const inside = await withGenericPlans(tx, () => planMode(tx));
      return { before, inside, after: await planMode(tx) };
    });
    expect(seen.inside).toBe('auto');
    expect(seen.after).toBe(seen.before);
    // On PostgreSQL the connections force custom plans (src/db/database.ts); PGlite keeps the default.
    expect(seen.before).toBe(server().server.deps.database.kind === 'postgres' ? 'force_custom_plan' : 'auto');
  });

  it('frees the plans of checks that look up a filling table only once that table is large on disk', async () => {
    const admin = await signUpOrganization(server().client);
    const db = server().server.deps.database.forOrganization(admin.organizationId);
    // The mode a wrapped statement runs under: its setting, the statement, the reset.
    const wrapped = async (tx: Db): Promise<string> => {
      const [set, , reset] = withGenericPlansOnceLarge('pg_temp.plan_probe', [sql`select 1`]);
      await tx.execute(set!);
      const mode = await planMode(tx);
      await tx.execute(reset!);
      return mode;
    };
    const seen = await inTransaction(db, async (tx) => {
      await tx.execute(sql`create temp table plan_probe (n int) on commit drop`);
      const before = await planMode(tx);
      await tx.execute(sql`insert into plan_probe select generate_series(1, 1000)`);
      const small = await wrapped(tx);
      // About 1.4 MB: past the 256 KB from which the primary key wins every generic plan.
      await tx.execute(sql`insert into plan_probe select generate_series(1, 40000)`);
      const large = await wrapped(tx);
      return { before, small, large, after: await planMode(tx) };
    });
    expect(seen.small).toBe(seen.before);
    expect(seen.large).toBe('auto');
    expect(seen.after).toBe(seen.before);
  });
});
