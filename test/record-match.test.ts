import { getTableColumns, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../src/db/database.js';
import { accounts } from '../src/modules/accounts/accounts.table.js';
import { contacts } from '../src/modules/contacts/contacts.table.js';
import { leads } from '../src/modules/leads/leads.table.js';
import { MATCH_KEY_FIELDS } from '../src/db/columns.js';
import { matchKeyColumn } from '../src/modules/records/record-match.js';
import { signUpOrganization } from './factories/organizations.factory.js';
import { useTestServer } from './helpers/test-server.js';

const server = useTestServer({ JOB_WORKERS: 'false' });

const explain = async (organizationId: string, query: ReturnType<typeof sql>): Promise<string> => {
  const db = server().server.deps.database.forOrganization(organizationId);
  return rowsOf<Record<string, string>>(await db.execute(sql`explain ${query}`))
    .map((row) => Object.values(row)[0])
    .join('\n');
};

describe('match keys', () => {
  it('keeps a key for each matched field, indexed after the organisation', async () => {
    const indexes = rowsOf<{ definition: string }>(
      await server().server.deps.database.db.execute(sql`select pg_get_indexdef(indexrelid) as definition from pg_index where indrelid::regclass::text in ('leads', 'contacts', 'accounts')`),
    ).map((row) => row.definition);
    const keys: [PgTable, string][] = [
      [leads, 'email'],
      [contacts, 'email'],
      [accounts, 'name'],
    ];
    for (const [table, field] of keys) {
      const column = matchKeyColumn(table, field);
      expect(column, field).toBeDefined();
      // Probing each key of a batch where no index serves it would read the organisation once per key.
      expect(indexes.some((definition) => definition.includes(`USING btree (organization_id, ${column!.name})`)), column!.name).toBe(true);
    }
    // Fields without a kept key: no generated column pretends to be one.
    expect(matchKeyColumn(leads, 'phone')).toBeUndefined();
    // Every generated column is a match key that exports and webhook payloads leave out.
    const generated = [leads, contacts, accounts].flatMap((table) => Object.entries(getTableColumns(table) as Record<string, PgColumn>).filter(([, column]) => column.generated).map(([key]) => key));
    expect(generated.sort()).toEqual(['emailKey', 'emailKey', 'nameKey']);
    for (const key of generated) expect(MATCH_KEY_FIELDS.has(key), key).toBe(true);
  });

  it('finds records by email through the index under the tenant role, where lower(email) could not use one', async () => {
    const admin = await signUpOrganization(server().client);
    const byKey = await explain(admin.organizationId, sql`select id from leads where organization_id = ${admin.organizationId} and email_key = 'a@b.example'`);
    expect(byKey).toMatch(/leads_email_idx/);
    // The same lookup keyed by lower(email): row-level security keeps a non-leakproof function out of index conditions.
    const byLower = await explain(admin.organizationId, sql`select id from leads where organization_id = ${admin.organizationId} and lower(email) = 'a@b.example'`);
    expect(byLower).not.toMatch(/Index Cond: .*lower\(email\)/);
  });
});
