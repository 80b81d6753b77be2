import { and, eq, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { leads } from '../src/db/schema.js';
import { allMatch, criterionSql, tableCatalog, validateCriterion, type Criterion } from '../src/modules/records/criteria.js';
import { recordCatalog } from '../src/modules/records/criteria-catalog.js';
import { createCustomField } from './factories/custom-fields.factory.js';
import { signUpOrganization } from './factories/organizations.factory.js';
import { createLead } from './factories/records.factory.js';
import { useTestServer } from './helpers/test-server.js';

const server = useTestServer({ JOB_WORKERS: 'off' });

const CATALOG = tableCatalog(leads as PgTable);

/** One criterion per operator and field type, edge cases included (empty values, case, lists). */
const CRITERIA: Omit<Criterion, never>[] = [
  { field: 'title', operator: 'EQUALS', value: 'sales director' },
  { field: 'title', operator: 'NOT_EQUALS', value: 'Sales Director' },
  { field: 'title', operator: 'CONTAINS', value: 'DIRECT' },
  { field: 'title', operator: 'CONTAINS', value: '100%' },
  { field: 'country', operator: 'IN', values: ['germany', 'France'] },
  { field: 'country', operator: 'NOT_IN', values: ['Germany'] },
  { field: 'country', operator: 'IS_EMPTY' },
  { field: 'country', operator: 'IS_NOT_EMPTY' },
  { field: 'annualRevenue', operator: 'GREATER_THAN', value: 1000000 },
  { field: 'annualRevenue', operator: 'LESS_THAN', value: '1000000' },
  { field: 'annualRevenue', operator: 'BETWEEN', values: [500000, 2000000] },
  { field: 'annualRevenue', operator: 'EQUALS', value: 1500000 },
  { field: 'employees', operator: 'IN', values: [10, 50] },
  { field: 'employees', operator: 'IS_EMPTY' },
  { field: 'tags', operator: 'EQUALS', value: 'VIP' },
  { field: 'tags', operator: 'NOT_IN', values: ['vip', 'hot'] },
  { field: 'tags', operator: 'CONTAINS', value: 'ho' },
  { field: 'tags', operator: 'IS_EMPTY' },
  { field: 'createdAt', operator: 'GREATER_THAN', value: '2000-01-01T00:00:00Z' },
];

describe('criteria language', () => {
  it('gives the same answer evaluated in JS on a row and compiled to SQL', async () => {
    const admin = await signUpOrganization(server().client);
    const variants = [
      { title: 'Sales Director', annualRevenue: '1500000', employees: 10, address: { country: 'Germany' }, tags: ['vip'] },
      { title: 'Intern', annualRevenue: '20000', employees: 50, address: { country: 'france' }, tags: ['hot', 'new'] },
      { title: 'Director of 100% things', annualRevenue: null, employees: null, address: { country: null }, tags: [] },
      { title: null, annualRevenue: '1000000', employees: 3, address: { country: 'Spain' }, tags: ['cold'] },
    ];
    for (const variant of variants) await createLead(admin.client, variant);
    const db = server().server.deps.db;
    const scope = eq(leads.organizationId, admin.organizationId);
    // Stored with stray spaces (older data, other writers): both evaluators trim, as they do for the criterion's value.
    const [first] = await db.select({ id: leads.id }).from(leads).where(and(scope, eq(leads.title, 'Sales Director')));
    await db.update(leads).set({ title: '  Sales Director ' }).where(and(scope, eq(leads.id, first!.id)));
    const rows = await db.select().from(leads).where(scope);
    expect(rows).toHaveLength(variants.length);
    for (const raw of CRITERIA) {
      const criterion = validateCriterion(CATALOG, raw, 'criterion');
      const inJs = rows.filter((row) => allMatch([criterion], row)).map((row) => row.id).sort();
      const condition = criterionSql(criterion, CATALOG) as SQL;
      const inSql = (await db.select({ id: leads.id }).from(leads).where(and(scope, condition))).map((row) => row.id).sort();
      expect(inSql, JSON.stringify(criterion)).toEqual(inJs);
    }
    // The criteria are not all trivially true or false on these rows.
    const matched = CRITERIA.map((raw) => rows.filter((row) => allMatch([validateCriterion(CATALOG, raw, 'c')], row)).length);
    expect(matched.some((n) => n > 0 && n < rows.length)).toBe(true);
  });

  it('tests custom fields by apiName with the same answer in JS and in SQL, for every custom field type', async () => {
    const admin = await signUpOrganization(server().client);
    const fields = [
      { apiName: 'segment', type: 'PICKLIST', options: ['Enterprise', 'SMB'] },
      { apiName: 'channels', type: 'MULTI_PICKLIST', options: ['Email', 'Phone', 'Chat'] },
      { apiName: 'seats', type: 'INTEGER' },
      { apiName: 'budget', type: 'CURRENCY' },
      { apiName: 'renewal', type: 'DATE' },
      { apiName: 'lastCall', type: 'DATETIME' },
      { apiName: 'partner', type: 'BOOLEAN' },
      { apiName: 'motto', type: 'TEXT' },
    ];
    for (const field of fields) await createCustomField(admin.client, { module: 'LEADS', label: field.apiName, ...field });
    const variants = [
      { segment: 'Enterprise', channels: ['Email', 'Chat'], seats: 120, budget: '1500.50', renewal: '2026-03-01', lastCall: '2026-02-01T10:00:00Z', partner: true, motto: 'Think Big' },
      { segment: 'SMB', channels: ['Phone'], seats: 5, budget: '99.00', renewal: '2025-12-31', lastCall: '2026-02-01T09:59:59Z', partner: false, motto: 'small is beautiful' },
      {},
    ];
    for (const customFields of variants) await createLead(admin.client, { customFields });
    const db = server().server.deps.db;
    const catalog = await recordCatalog(db, admin.organizationId, 'leads', leads as PgTable);
    const scope = eq(leads.organizationId, admin.organizationId);
    const rows = await db.select().from(leads).where(scope);
    const criteria: Omit<Criterion, never>[] = [
      { field: 'customFields.segment', operator: 'EQUALS', value: 'enterprise' },
      { field: 'customFields.segment', operator: 'NOT_IN', values: ['SMB'] },
      { field: 'customFields.segment', operator: 'IS_EMPTY' },
      { field: 'customFields.channels', operator: 'EQUALS', value: 'chat' },
      { field: 'customFields.channels', operator: 'NOT_IN', values: ['Phone'] },
      { field: 'customFields.channels', operator: 'IS_NOT_EMPTY' },
      { field: 'customFields.seats', operator: 'GREATER_THAN', value: 10 },
      { field: 'customFields.seats', operator: 'IN', values: [5, 7] },
      { field: 'customFields.budget', operator: 'BETWEEN', values: [100, 2000] },
      { field: 'customFields.budget', operator: 'EQUALS', value: 99 },
      { field: 'customFields.renewal', operator: 'LESS_THAN', value: '2026-01-01' },
      { field: 'customFields.renewal', operator: 'EQUALS', value: '2026-03-01' },
      { field: 'customFields.lastCall', operator: 'GREATER_THAN', value: '2026-02-01T10:00:00Z' },
      { field: 'customFields.lastCall', operator: 'EQUALS', value: '2026-02-01T10:00:00Z' },
      { field: 'customFields.partner', operator: 'EQUALS', value: true },
      { field: 'customFields.partner', operator: 'NOT_EQUALS', value: true },
      { field: 'customFields.motto', operator: 'CONTAINS', value: 'BIG' },
      { field: 'customFields.motto', operator: 'IS_EMPTY' },
    ];
    const matched: number[] = [];
    for (const raw of criteria) {
      const criterion = validateCriterion(catalog, raw, 'criterion');
      const inJs = rows.filter((row) => allMatch([criterion], row)).map((row) => row.id).sort();
      const condition = criterionSql(criterion, catalog) as SQL;
      const inSql = (await db.select({ id: leads.id }).from(leads).where(and(scope, condition))).map((row) => row.id).sort();
      expect(inSql, JSON.stringify(criterion)).toEqual(inJs);
      matched.push(inJs.length);
    }
    // Each holds for some of the three leads and not all (the empty lead included where it should be).
    expect(matched).toEqual([1, 2, 1, 1, 2, 2, 1, 1, 1, 1, 1, 1, 0, 1, 1, 2, 1, 1]);
  });
});
