/**
 * Reports benchmark: pipeline by stage and a two-level grouped custom report (stage x closing
 * month, count and sum) over 100,000 deals. Each is timed through Pulse (GraphQL over HTTP, one
 * client, requests one after another) and as the very SQL Pulse sends, run directly with
 * postgres.js in the same process (the floor). Target: Pulse p50 <= 1.5x the floor's p50.
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/pulse_reports_bench npx tsx bench/reports.bench.ts
 *   BENCH_DEALS (100000), BENCH_ITERATIONS (150), BENCH_WARMUP (15)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { SQL } from 'drizzle-orm';
import postgres from 'postgres';
import { loadConfig } from '../src/config.js';
import { migrateDatabase, openDatabase } from '../src/db/database.js';
import { FULL_ACCESS } from '../src/modules/access-control/access-summary.js';
import type { Viewer } from '../src/modules/auth/viewer.js';
import { pipelineByStage } from '../src/modules/reports/analytics-deals.js';
import { parseAnalyticsParams } from '../src/modules/reports/analytics-params.js';
import { compileReport } from '../src/modules/reports/report-compiler.js';
import type { ReportDefinition } from '../src/modules/reports/report-definition.js';
import { startServer } from '../src/server/server.js';
import { createLogger } from '../src/shared/logger.js';
import { benchDatabase, positiveEnv } from './bench-env.js';

const DEALS = positiveEnv('BENCH_DEALS', 100_000);
const ITERATIONS = positiveEnv('BENCH_ITERATIONS', 150);
const WARMUP = positiveEnv('BENCH_WARMUP', 15);
const TARGET = 1.5;
const RESULTS = fileURLToPath(new URL('./results/reports.json', import.meta.url));

interface Summary {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
}

function summarise(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { p50Ms: at(0.5), p99Ms: at(0.99), meanMs: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}

/** Times `work` WARMUP + ITERATIONS times, keeping the last ITERATIONS. */
async function time(work: () => Promise<unknown>): Promise<Summary> {
  const samples: number[] = [];
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    const started = performance.now();
    await work();
    if (i >= WARMUP) samples.push(performance.now() - started);
  }
  return summarise(samples);
}

async function graphql(url: string, token: string | null, query: string, variables: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data ?? {};
}

async function main(): Promise<void> {
  const url = await benchDatabase('postgres://postgres@127.0.0.1:5432/pulse_reports_bench');
  const logger = createLogger('warn');
  const config = loadConfig({ DATABASE_URL: url, JWT_SECRET: 'bench-secret-that-is-long-enough-for-hs256', PORT: '0', LOG_LEVEL: 'warn', JOB_WORKERS: 'false' });
  const database = await openDatabase({ url, poolSize: 10 });
  await migrateDatabase(database);
  const server = await startServer({ config, database, logger }, { port: 0, host: '127.0.0.1' });
  const endpoint = `${server.url}/graphql`;
  const direct = postgres(url, { max: 2, onnotice: () => undefined });
  try {
    const email = `bench-${Date.now()}@example.com`;
    const { signUp } = await graphql(endpoint, null, `mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } organization { id } } }`, {
      input: { organizationName: 'Reports bench', name: 'Bench Admin', email, password: 'a-long-enough-password' },
    });
    const token: string = signUp.token;
    const organizationId: string = signUp.organization.id;
    const userId: string = signUp.user.id;
    const { pipelines } = await graphql(endpoint, token, `{ pipelines { id isDefault stages { id } } }`);
    const pipeline = pipelines.find((p: { isDefault: boolean }) => p.isDefault);
    const stageIds: string[] = pipeline.stages.map((s: { id: string }) => s.id);

    const loadStarted = performance.now();
    // Set-based: one statement spreads the deals over every stage and 24 months of closing dates.
    await direct`
      insert into deals (organization_id, id, owner_id, created_by_id, name, amount, currency, closing_date, pipeline_id, stage_id, probability)
      select ${organizationId}::uuid, gen_random_uuid(), ${userId}::uuid, ${userId}::uuid, 'Deal ' || g,
        ((g * 7919) % 100000) / 100.0 + 0.01, 'USD', date '2025-01-01' + (g % 730),
        ${pipeline.id}::uuid, (${stageIds}::uuid[])[1 + g % ${stageIds.length}], 10 * (g % 10)
      from generate_series(1, ${DEALS}::int) g`;
    await direct`analyze deals`;
    const loadMs = performance.now() - loadStarted;

    const definition: ReportDefinition = {
      filters: [],
      groupBy: [{ field: 'stage' }, { field: 'closingDate', bucket: 'MONTH' }],
      aggregates: [{ function: 'COUNT' }, { function: 'SUM', field: 'amount' }],
      columns: [],
      orderBy: [],
      limit: null,
      timeZone: 'UTC',
    };
    const { createReport } = await graphql(endpoint, token, `mutation($input: CreateReportInput!) { createReport(input: $input) { id } }`, {
      input: { name: 'Stage by month', module: 'DEALS', groupBy: definition.groupBy, aggregates: definition.aggregates },
    });

    // The floor runs exactly the statements Pulse builds, rendered by drizzle's dialect.
    const viewer: Viewer = {
      userId,
      organizationId,
      role: 'ADMIN',
      roleId: null,
      apiKeyId: null,
      access: FULL_ACCESS,
      plan: 'PROFESSIONAL',
      paused: false,
      name: 'Bench Admin',
      email,
      country: 'US',
      currency: 'USD',
      engagement: { hotDays: 3, warmDays: 14, coolingDays: 45 },
    };
    const dialect = new PgDialect();
    const render = (query: SQL) => dialect.sqlToQuery(query);
    const pipelineSql = render(pipelineByStage(viewer, parseAnalyticsParams({ pipelineId: pipeline.id })));
    const reportSql = render(compileReport(viewer, 'DEALS', definition, 10_001).query);
    const floor = (query: { sql: string; params: unknown[] }) => () => direct.unsafe(query.sql, query.params as never[]);

    const PIPELINE_QUERY = `query($p: AnalyticsParams) { pipelineByStage(params: $p) { stageId stageName count totalAmount weightedAmount } }`;
    const REPORT_QUERY = `query($id: ID!) { runReport(id: $id) { columns { key type } rows truncated } }`;
    const pulsePipeline = () => graphql(endpoint, token, PIPELINE_QUERY, { p: { pipelineId: pipeline.id } });
    const pulseReport = () => graphql(endpoint, token, REPORT_QUERY, { id: createReport.id });

    // Same answers on both sides before timing anything.
    const [fromPulse, fromFloor] = [await pulseReport(), await floor(reportSql)()];
    if (fromPulse['runReport'].rows.length !== fromFloor.length) throw new Error('Pulse and the floor disagree on the report');

    if (process.env['BENCH_EXPLAIN'] === '1') {
      for (const query of [pipelineSql, reportSql]) {
        const plan = await direct.unsafe(`explain (analyze, buffers) ${query.sql}`, query.params as never[]);
        console.log(plan.map((row) => row['QUERY PLAN']).join('\n'));
      }
    }
    const results = {
      deals: DEALS,
      iterations: ITERATIONS,
      loadMs,
      pipelineByStage: { floor: await time(floor(pipelineSql)), pulse: await time(pulsePipeline) },
      groupedReport: { rows: fromFloor.length, floor: await time(floor(reportSql)), pulse: await time(pulseReport) },
    };
    const line = (name: string, side: { floor: Summary; pulse: Summary }) => {
      const ratio = side.pulse.p50Ms / side.floor.p50Ms;
      return (
        `${name.padEnd(26)} floor p50 ${side.floor.p50Ms.toFixed(2)} ms p99 ${side.floor.p99Ms.toFixed(2)} ms | ` +
        `Pulse p50 ${side.pulse.p50Ms.toFixed(2)} ms p99 ${side.pulse.p99Ms.toFixed(2)} ms | ` +
        `p50 ratio ${ratio.toFixed(2)}x (target <= ${TARGET}x: ${ratio <= TARGET ? 'met' : 'NOT met'}), p99 ratio ${(side.pulse.p99Ms / side.floor.p99Ms).toFixed(2)}x`
      );
    };
    console.log(`\nReports benchmark: ${DEALS} deals loaded in ${(loadMs / 1000).toFixed(1)} s; ${ITERATIONS} timed runs per side after ${WARMUP} warm-up`);
    console.log(line('pipeline by stage', results.pipelineByStage));
    console.log(line(`grouped report (${results.groupedReport.rows} rows)`, results.groupedReport));
    mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify({ measuredAt: new Date().toISOString(), ...results }, null, 2)}\n`);
    // The bench organisation goes with its deals, so reruns start from the same size.
    await direct`delete from organizations where id = ${organizationId}::uuid`;
  } finally {
    await direct.end({ timeout: 5 });
    await server.stop();
    await database.close().catch(() => undefined);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
