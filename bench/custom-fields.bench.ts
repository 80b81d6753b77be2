/**
 * Custom field filter benchmark: `npx tsx bench/custom-fields.bench.ts`. One organisation with
 * 100,000 leads carrying a custom picklist `segment` (ten common values and a rare one, 0.1%),
 * loaded set-based in a few seconds. Each case asks `leads(filter: { customFields: ... })` for
 * the first page through GraphQL over HTTP, and runs the same SQL directly on the database as the
 * baseline, in the same run; prints the medians and the ratio. Environment (all optional):
 *   BENCH_DATABASE_URL  postgres://... on this machine (default postgres://postgres@127.0.0.1:5432/pulse_bench_custom)
 *   BENCH_RECORDS       leads to load (default 100000)
 *   BENCH_ROUNDS        measured requests per case and side (default 40)
 */
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config.js';
import { migrateDatabase, openDatabase } from '../src/db/database.js';
import { startServer } from '../src/server/server.js';
import { createLogger } from '../src/shared/logger.js';
import { benchDatabase, positiveEnv } from './bench-env.js';
import { graphqlRequest } from './live-graphql.js';

const log = (line: string): void => {
  process.stdout.write(`[custom-fields] ${line}\n`);
};

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

async function timed(rounds: number, run: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 5; i += 1) await run();
  const samples: number[] = [];
  for (let i = 0; i < rounds; i += 1) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

async function main(): Promise<void> {
  const url = await benchDatabase('postgres://postgres@127.0.0.1:5432/pulse_bench_custom');
  const records = positiveEnv('BENCH_RECORDS', 100_000);
  const rounds = positiveEnv('BENCH_ROUNDS', 40);
  const database = await openDatabase({ url, poolSize: 10 });
  if (database.driver.kind !== 'postgres') throw new Error('the benchmark needs PostgreSQL');
  const sql = database.driver.sql;
  await migrateDatabase(database);
  const config = loadConfig({ ...process.env, JWT_SECRET: 'bench-secret-that-is-long-enough-for-hs256', LOG_LEVEL: 'error' });
  const server = await startServer({ config, database, logger: createLogger('error') }, { port: 0, host: '127.0.0.1' });
  const endpoint = `${server.url}/graphql`;
  try {
    const stamp = Date.now().toString(36);
    const signUp = await graphqlRequest<{ signUp: { token: string; user: { id: string }; organization: { id: string } } }>(
      endpoint,
      null,
      'mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } organization { id } } }',
      { input: { organizationName: `Bench ${stamp}`, name: 'Bench Admin', email: `bench-${stamp}@example.com`, password: 'a-long-enough-password' } },
    );
    const { token } = signUp.signUp;
    const organizationId = signUp.signUp.organization.id;
    const userId = signUp.signUp.user.id;
    const options = [...Array.from({ length: 10 }, (_, i) => `Segment ${i}`), 'Rare'];
    const field = await graphqlRequest<{ createCustomField: { id: string } }>(
      endpoint,
      token,
      'mutation($input: CreateCustomFieldInput!) { createCustomField(input: $input) { id } }',
      { input: { module: 'LEADS', apiName: 'segment', label: 'Segment', type: 'PICKLIST', options } },
    );
    const fieldId = field.createCustomField.id;

    const loadStart = performance.now();
    await sql.begin(async (tx) => {
      await tx`
        insert into leads (organization_id, id, owner_id, created_by_id, last_name, status, custom_fields, created_at, updated_at)
        select ${organizationId}, gen_random_uuid(), ${userId}, ${userId}, 'Lead ' || g, 'Not Contacted',
               jsonb_build_object('segment', case when g % 1000 = 0 then 'Rare' else 'Segment ' || (g % 10) end),
               now() - g * interval '1 second', now()
        from generate_series(1, ${records}::int) g`;
      await tx`
        insert into custom_field_values (organization_id, field_id, record_id, text_value)
        select organization_id, ${fieldId}, id, custom_fields ->> 'segment' from leads where organization_id = ${organizationId}`;
    });
    await sql`analyze leads`;
    await sql`analyze custom_field_values`;
    log(`loaded ${records} leads with a custom picklist in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`);

    const QUERY = `query($value: JSON!) { leads(first: 50, filter: { customFields: [{ apiName: "segment", equals: $value }] }) { nodes { id lastName customFields } } }`;
    // The statement the list sends, sent the same way (unprepared, so each value gets its own plan).
    const direct = (value: string) =>
      sql.unsafe(
        `select l.* from leads l
         where l.organization_id = $1 and l.deleted_at is null
           and exists (select 1 from custom_field_values v where v.organization_id = l.organization_id and v.field_id = $2
                       and v.record_id = l.id and v.text_value = $3 and v.text_value is not null)
         order by l.created_at desc, l.id desc limit 51`,
        [organizationId, fieldId, value],
        { prepare: false },
      );
    const rows: string[] = [];
    for (const [label, value] of [
      ['common value (10%)', 'Segment 3'],
      ['rare value (0.1%)', 'Rare'],
    ] as const) {
      const page = await graphqlRequest<{ leads: { nodes: { customFields: { segment: string } }[] } }>(endpoint, token, QUERY, { value });
      if (page.leads.nodes.length !== 50 || page.leads.nodes.some((node) => node.customFields.segment !== value)) throw new Error(`wrong page for ${value}`);
      const graphqlMs = await timed(rounds, () => graphqlRequest(endpoint, token, QUERY, { value }));
      const sqlMs = await timed(rounds, () => direct(value));
      rows.push(`${label.padEnd(20)} GraphQL ${graphqlMs.toFixed(2).padStart(7)} ms   SQL ${sqlMs.toFixed(2).padStart(7)} ms   ratio ${(graphqlMs / sqlMs).toFixed(2)}`);
    }
    log(`first page of 50 of ${records} leads filtered by a custom picklist (median of ${rounds}):`);
    for (const row of rows) log(`  ${row}`);
  } finally {
    await server.stop();
    await database.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
