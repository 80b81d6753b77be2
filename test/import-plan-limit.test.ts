import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { leadsCsv, uploadImport } from './factories/imports.factory.js';
import { signUpOrganization } from './factories/organizations.factory.js';
import { uniqueEmail } from './factories/unique.js';
import { createRule } from './factories/workflows.factory.js';
import { rows } from './helpers/sql-probes.js';
import { useTestServer } from './helpers/test-server.js';

// A small limit, and the features rules need, on the plan new organisations start on.
const server = useTestServer({ JOB_WORKERS: 'false', PULSE_PLANS: JSON.stringify({ FREE: { features: ['scoringRules', 'workflows'], limits: { importRows: 2500 } } }) });

describe('an import past the plan\'s row limit', () => {
  it('fails with PLAN_LIMIT once the limit is passed, leaving nothing of the batches already written', async () => {
    const admin = await signUpOrganization(server().client);
    await createRule(admin.client, { module: 'LEADS', trigger: { type: 'ON_CREATE' }, criteria: [], actions: [{ type: 'ADD_TAGS', tags: ['imported'] }] });
    await admin.client.ok(`mutation($input: CreateScoringRuleInput!) { createScoringRule(input: $input) { id } }`, {
      input: { module: 'LEADS', name: 'Has email', fieldScores: [{ field: 'email', operator: 'IS_NOT_EMPTY', points: 5 }] },
    });
    await server().server.deps.jobs.runDue();
    // Two batches of 1,000 go to the database before row 2,501 stops the run.
    const file = leadsCsv(Array.from({ length: 3000 }, (_, index) => ({ last: `Row${index}`, email: uniqueEmail(`limit${index}`) })));
    const { body } = await uploadImport(server().url, admin, 'leads', file);
    await admin.client.ok(`mutation($id: ID!) { commitImport(id: $id) { id } }`, { id: body.id });
    await server().server.deps.jobs.runDue('imports.commit');
    const { import: failed } = await admin.client.ok(`query($id: ID!) { import(id: $id) { status errors { row message } } }`, { id: body.id });
    expect(failed.status).toBe('FAILED');
    expect(failed.errors[0].message).toContain('importRows');
    // Nothing of the organisation's was written, in the transaction or after it.
    const { db } = server().server.deps;
    const count = async (table: string) =>
      (await rows<{ n: number }>(db, sql`select count(*)::int as n from ${sql.identifier(table)} where organization_id = ${admin.organizationId}`))[0]?.n;
    for (const table of ['leads', 'timeline_entries', 'record_scores', 'score_history', 'workflow_runs', 'workflow_run_actions', 'import_records']) expect(await count(table), table).toBe(0);
  });
});
