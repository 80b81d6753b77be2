/**
 * "Sales signals" benchmark: `npx tsx bench/open-tracking.bench.ts`. GET /t/o/<token> at 64
 * concurrent clients against Pulse with every open stored and published, set against static
 * pixels served in the same kind of process, measured in the same run; then every successful GET
 * is looked for in sales_signals and events. Environment (all optional):
 *   BENCH_DATABASE_URL    postgres://... on this machine (default postgres://postgres@127.0.0.1:5432/pulse_bench_live)
 *   BENCH_SECONDS         measured seconds per side (default 10)
 *   BENCH_WARMUP_SECONDS  unmeasured seconds before each (default 3)
 *   BENCH_CONNECTIONS     concurrent clients (default 64)
 *   BENCH_POOL_SIZE       database connections of the Pulse process (default 10)
 *   BENCH_MESSAGES        tracked messages sent through sendEmail before the run (default 200)
 *   BENCH_PROFILE=1       CPU profiles of the Pulse server processes in bench/results/profiles
 */
import type { Sql } from 'postgres';
import { migrateDatabase, openDatabase, type Database } from '../src/db/database.js';
import { SIGNAL_TOPIC } from '../src/modules/signals/signal-kinds.js';
import { benchDatabase, machineInfo, positiveEnv, sourceLine, writeResult } from './bench-env.js';
import { runGetLoad, type GetLoadResult } from './get-load.js';
import { freshTenant, type BenchTenant } from './live-data.js';
import { graphqlRequest } from './live-graphql.js';
import { cpuWindow, fixed, loadAverage, table } from './live-stats.js';
import type { LoadOptions } from './load.js';
import { PIXEL } from './pixel-floor.js';
import { benchConfig, startServerChild, type ServerChild, type ServerJob } from './server-child.js';

const TARGET = { minThroughputRatio: 0.5 } as const;
const log = (line: string): void => {
  process.stdout.write(`[tracking] ${line}\n`);
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Side extends GetLoadResult {
  readonly label: string;
  readonly serverCpuMsPerRequest: number;
  readonly postgresCpuMsPerRequest: number;
}

interface Stored {
  readonly signals: number;
  readonly events: number;
  readonly openCount: number;
  readonly timeline: number;
  /** Distinct writing transactions of the signals (xmin): how well opens were grouped. */
  readonly transactions: number;
}

async function stored(sql: Sql, organizationId: string): Promise<Stored> {
  const [row] = await sql<Stored[]>`
    select
      (select count(*) from sales_signals where organization_id = ${organizationId} and kind = 'EMAIL_OPENED')::int as signals,
      (select count(*) from events where organization_id = ${organizationId} and topic = ${SIGNAL_TOPIC} and kind = 'EMAIL_OPENED')::int as events,
      (select coalesce(sum(open_count), 0) from email_messages where organization_id = ${organizationId})::int as "openCount",
      (select count(*) from timeline_entries where organization_id = ${organizationId} and kind = 'SIGNAL')::int as timeline,
      (select count(distinct xmin::text) from sales_signals where organization_id = ${organizationId})::int as transactions`;
  if (!row) throw new Error('no counts');
  return row;
}

/** Leads and tracked messages through the public API, as a partner's app would send them. */
async function sendMessages(url: string, tenant: BenchTenant, messages: number): Promise<void> {
  const leads = Math.max(1, Math.ceil(messages / 4));
  const leadIds: string[] = [];
  for (let i = 0; i < leads; i += 1) {
    const data = await graphqlRequest<{ createLead: { id: string } }>(url, tenant.token, 'mutation($input: CreateLeadInput!) { createLead(input: $input) { id } }', {
      input: { lastName: `Prospect ${i}`, email: `prospect-${i}-${Date.now().toString(36)}@example.com` },
    });
    leadIds.push(data.createLead.id);
  }
  for (let i = 0; i < messages; i += 1) {
    await graphqlRequest(url, tenant.token, 'mutation($input: SendEmailInput!) { sendEmail(input: $input) { id } }', {
      input: { leadId: leadIds[i % leadIds.length], subject: `Proposal ${i}`, text: `Hello,\nhere is proposal ${i}: https://example.com/p/${i}\n` },
    });
  }
}

async function measure(sql: Sql, label: string, server: ServerChild, paths: readonly string[], options: LoadOptions): Promise<Side> {
  log(`${label}: ${options.connections} clients, ${options.warmupMs / 1000} s warm-up + ${options.durationMs / 1000} s`);
  const cpu = cpuWindow(sql, server.pid);
  const result = await runGetLoad({ baseUrl: server.url, paths, expectBase64: PIXEL.toString('base64'), options }, cpu.start);
  const cost = await cpu.finish(result.summary.requests);
  return { label, ...result, serverCpuMsPerRequest: cost.serverMsPerOp, postgresCpuMsPerRequest: cost.postgresMsPerOp };
}

/** Waits until the stored signals reach `expected` or stop changing for 3 s (at most 60 s). */
async function settle(sql: Sql, organizationId: string, expected: number): Promise<Stored> {
  const deadline = Date.now() + 60_000;
  let last = await stored(sql, organizationId);
  let stableSince = Date.now();
  while (Date.now() < deadline && last.signals < expected && Date.now() - stableSince < 3000) {
    await sleep(250);
    const now = await stored(sql, organizationId);
    if (now.signals !== last.signals) stableSince = Date.now();
    last = now;
  }
  return last;
}

async function main(): Promise<void> {
  const url = await benchDatabase('postgres://postgres@127.0.0.1:5432/pulse_bench_live');
  const options: LoadOptions = {
    connections: positiveEnv('BENCH_CONNECTIONS', 64, { max: 1024 }),
    warmupMs: positiveEnv('BENCH_WARMUP_SECONDS', 3, { integer: false, max: 600 }) * 1000,
    durationMs: positiveEnv('BENCH_SECONDS', 10, { integer: false, max: 600 }) * 1000,
  };
  const poolSize = positiveEnv('BENCH_POOL_SIZE', 10, { max: 100 });
  const messages = positiveEnv('BENCH_MESSAGES', 200, { max: 100_000 });
  const lifetimeMs = 6 * (options.warmupMs + options.durationMs) + 300_000;
  const servers: ServerChild[] = [];
  const start = async (job: ServerJob): Promise<ServerChild> => {
    const server = await startServerChild(job, lifetimeMs);
    servers.push(server);
    return server;
  };
  let database: Database | null = null;
  try {
    database = await openDatabase({ url, poolSize: 4 });
    await migrateDatabase(database);
    if (database.driver.kind !== 'postgres') throw new Error('the benchmark needs PostgreSQL');
    const sql = database.driver.sql;
    const info = await machineInfo(sql, url);
    log(`database ${String(info['database'])}; load average ${String(info['loadAverageBefore'])} on ${String(info['cpus'])} CPUs`);
    const tenant = await freshTenant(database.db, benchConfig(url, poolSize), 'Bench Tracking Org');

    const pulse = await start({ kind: 'pulse', databaseUrl: url, poolSize, publication: true, recordOpens: true });
    await sendMessages(`${pulse.url}/graphql`, tenant, messages);
    const tokens = await sql<{ open_token: string }[]>`select open_token from email_messages where organization_id = ${tenant.organizationId}`;
    const paths = tokens.map((row) => `/t/o/${row.open_token}`);
    log(`${tokens.length} tracked messages sent through sendEmail`);

    // The statements of one group-commit (one open, then the flush).
    const { statements } = await pulse.recordStatements(async () => {
      await fetch(`${pulse.url}${paths[0] ?? ''}`).then((response) => response.arrayBuffer());
      await pulse.flushTracking();
    });

    const loadBefore = loadAverage();
    const nodeFloor = await measure(sql, 'floor: node:http static pixel', await start({ kind: 'pixel-floor', floor: 'node-http' }), paths, options);
    const expressFloor = await measure(sql, 'floor: Express static pixel', await start({ kind: 'pixel-floor', floor: 'express' }), paths, options);
    const staticPulse = await measure(
      sql,
      'Pulse, opens not recorded',
      await start({ kind: 'pulse', databaseUrl: url, poolSize, publication: true, recordOpens: false }),
      paths,
      options,
    );
    const before = await stored(sql, tenant.organizationId);
    const recording = await measure(sql, 'Pulse, every open stored', pulse, paths, options);
    // Opens are answered at once and written behind: what was still waiting when the load ended, and how long it took to write.
    const loadEnded = performance.now();
    const atLoadEnd = await stored(sql, tenant.organizationId);
    await pulse.flushTracking();
    const drainSeconds = (performance.now() - loadEnded) / 1000;
    const after = await settle(sql, tenant.organizationId, before.signals + recording.okTotal);
    const backlogAtLoadEnd = recording.okTotal - (atLoadEnd.signals - before.signals);
    // Every open durably stored, from the first GET to the last row written.
    const storedPerSecond = (after.signals - before.signals) / ((options.warmupMs + options.durationMs) / 1000 + drainSeconds);
    const loadAfter = loadAverage();

    const gained = {
      signals: after.signals - before.signals,
      events: after.events - before.events,
      openCount: after.openCount - before.openCount,
      timeline: after.timeline - before.timeline,
      transactions: after.transactions - before.transactions,
    };
    const noneLost = gained.signals === recording.okTotal && gained.events === recording.okTotal && gained.openCount === recording.okTotal;
    const ratio = recording.summary.requestsPerSecond / nodeFloor.summary.requestsPerSecond;
    const storedRatio = storedPerSecond / nodeFloor.summary.requestsPerSecond;
    // Answering fast is not enough when the writes fall behind: a steady load would grow the backlog without end.
    const met = noneLost && recording.summary.errors === 0 && ratio >= TARGET.minThroughputRatio && storedRatio >= TARGET.minThroughputRatio;
    const sides = [nodeFloor, expressFloor, staticPulse, recording];
    const lines = [
      '',
      `Open tracking: GET /t/o/<token> over ${tokens.length} real messages, ${options.connections} concurrent clients; ${String(info['postgres'])}; Node ${process.version}; ${String(info['cpus'])} CPUs`,
      `load average (1 min): before ${loadBefore}, after ${loadAfter}`,
      sourceLine(info),
      table(
        ['side', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'errors', 'srv cpu ms', 'pg cpu ms'],
        sides.map((side) => [
          side.label,
          fixed(side.summary.requestsPerSecond),
          fixed(side.summary.p50Ms, 2),
          fixed(side.summary.p99Ms, 2),
          String(side.summary.requests),
          String(side.summary.errors),
          fixed(side.serverCpuMsPerRequest, 3),
          fixed(side.postgresCpuMsPerRequest, 3),
        ]),
      ),
      `throughput Pulse (stored)/node:http floor: ${fixed(ratio, 2)}x (target >= ${TARGET.minThroughputRatio}x); ` +
        `against the Express floor ${fixed(recording.summary.requestsPerSecond / expressFloor.summary.requestsPerSecond, 2)}x, ` +
        `against Pulse not recording ${fixed(recording.summary.requestsPerSecond / staticPulse.summary.requestsPerSecond, 2)}x`,
      `stored after the flush: successful GETs ${recording.okTotal} (failed ${recording.failedTotal}), EMAIL_OPENED signals +${gained.signals}, ` +
        `signal events +${gained.events}, open_count +${gained.openCount}, timeline entries +${gained.timeline}; ${noneLost ? 'none lost' : 'MISMATCH'}`,
      `writing behind: ${backlogAtLoadEnd} opens not yet stored when the load ended, written ${fixed(drainSeconds, 1)} s later; ` +
        `stored ${fixed(storedPerSecond)} opens/s from the first GET to the last row (${fixed(storedRatio, 2)}x the node:http floor's req/s)`,
      `group commit: ${gained.transactions} transactions, ${fixed(gained.signals / Math.max(1, gained.transactions), 1)} opens each; ${statements.length} statements per group (BEGIN/COMMIT not counted)`,
      `target (>= ${TARGET.minThroughputRatio}x answered and stored, none lost): ${met ? 'MET' : 'NOT MET'}`,
    ];
    if (loadBefore > Number(info['cpus']) / 2) lines.push(`warning: the machine was busy (load ${loadBefore} on ${String(info['cpus'])} CPUs); figures are noisy`);
    process.stdout.write(`${lines.join('\n')}\n`);
    const file = writeResult('open-tracking', {
      benchmark: 'open-tracking',
      ...info,
      loadAverage: { before: loadBefore, after: loadAfter },
      options,
      poolSize,
      messages: tokens.length,
      target: TARGET,
      met,
      ratio,
      storedRatio,
      sides,
      stored: { before, atLoadEnd, after, gained, successfulGets: recording.okTotal, noneLost, backlogAtLoadEnd, drainSeconds, storedPerSecond },
      groupStatements: statements,
    });
    log(`results written to ${file}`);
  } finally {
    for (const server of servers) await server.stop();
    await database?.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`open-tracking bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
