import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { inTransaction, writeBehind } from '../src/db/transaction.js';
import { signUpOrganization } from './factories/organizations.factory.js';
import { failure, rows, sqlState } from './helpers/sql-probes.js';
import { useTestServer } from './helpers/test-server.js';

const server = useTestServer({ JOB_WORKERS: 'false' });

const importRow = (organizationId: string, userId: string, id: string) => sql`
  insert into imports (organization_id, id, module, status, created_by_id, file_name, file_bytes, headers, mapping)
  values (${organizationId}, ${id}, 'leads', 'READY', ${userId}, 'behind.csv', 0, '{}', '[]')`;
const importsNamed = async (organizationId: string, ids: readonly string[]) =>
  (await rows<{ id: string }>(server().testDatabase.database.db, sql`select id from imports where organization_id = ${organizationId}`)).filter((row) => ids.includes(row.id));

describe('writes sent behind (src/db/transaction.ts)', () => {
  it('lets the transaction read what they wrote, and commits them with it', async () => {
    const admin = await signUpOrganization(server().client);
    const db = server().server.deps.database.forOrganization(admin.organizationId);
    const [first, second] = [randomUUID(), randomUUID()];
    const seen = await inTransaction(db, async (tx) => {
      await writeBehind(tx, () => [tx.execute(importRow(admin.organizationId, admin.userId, first)), tx.execute(importRow(admin.organizationId, admin.userId, second))]);
      // Sent after them on the same connection: runs after them.
      return rows<{ n: number }>(tx, sql`select count(*)::int as n from imports where organization_id = ${admin.organizationId} and id in (${first}, ${second})`);
    });
    expect(seen).toEqual([{ n: 2 }]);
    expect(await importsNamed(admin.organizationId, [first, second])).toHaveLength(2);
  });

  it("fails the transaction with the failed write's own error, and keeps nothing of it", async () => {
    const admin = await signUpOrganization(server().client);
    const db = server().server.deps.database.forOrganization(admin.organizationId);
    const [kept, twice] = [randomUUID(), randomUUID()];
    const error = await failure(() =>
      inTransaction(db, async (tx) => {
        await tx.execute(importRow(admin.organizationId, admin.userId, kept));
        await tx.execute(importRow(admin.organizationId, admin.userId, twice));
        // A duplicate key, sent behind: the statements after it fail as the transaction is aborted.
        await writeBehind(tx, () => [tx.execute(importRow(admin.organizationId, admin.userId, twice))]);
        await tx.execute(sql`select 1`);
      }),
    );
    expect(sqlState(error)).toBe('23505');
    expect(await importsNamed(admin.organizationId, [kept, twice])).toEqual([]);
  });
});
