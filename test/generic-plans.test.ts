import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf, type Db } from '../src/db/database.js';
import { withGenericPlans } from '../src/db/generic-plans.js';
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
});
