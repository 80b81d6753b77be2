/**
 * "Automation" benchmark: `npx tsx bench/automation.bench.ts`. Leads created through GraphQL
 * (createLead) at 32 concurrent clients against one Pulse process, in an organisation with 10
 * active scoring rules, an assignment rule of 3 entries and 5 active workflow rules (immediate
 * actions and one scheduled email), and in one with no rules, alternated (A B A B) in the same
 * run; prints creates/s of both and their ratio.
 * Environment (all optional):
 *   BENCH_DATABASE_URL    postgres://... on this machine (default postgres://postgres@127.0.0.1:5432/pulse_bench_automation)
 *   BENCH_SECONDS         measured seconds per round (default 10)
 *   BENCH_WARMUP_SECONDS  unmeasured seconds before each round (default 2)
 *   BENCH_CONNECTIONS     concurrent clients (default 32)
 *   BENCH_POOL_SIZE       database connections of the Pulse process (default 10)
 */
import { migrateDatabase, openDatabase, type Database } from '../src/db/database.js';
import { benchDatabase, machineInfo, positiveEnv, sourceLine, writeResult } from './bench-env.js';
import { freshTenant } from './live-data.js';
import { createAutomationRules } from './automation-rules.js';
import { graphqlRequest } from './live-graphql.js';
import { fixed, loadAverage, table } from './live-stats.js';
import { benchConfig, startServerChild, type ServerChild } from './server-child.js';
import { clockTicks, poolBackendPids, postgresCpuByPid } from './cpu.js';
import { readFileSync } from 'node:fs';
import type { Sql } from 'postgres';

/** utime + stime of one process in ms (Linux /proc), 0 where it cannot be read. */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks();
  } catch {
    return 0;
  }
}

/** CPU of the Pulse process and of its pool's PostgreSQL backends, in ms: steadier than creates/s on a loaded machine. */
async function cpuNow(sql: Sql, pid: number): Promise<{ node: number; postgres: number }> {
  const byPid = postgresCpuByPid();
  let postgres = 0;
  for (const backend of await poolBackendPids(sql)) postgres += byPid.get(backend) ?? 0;
  return { node: processCpuMs(pid), postgres };
}

const TARGET = { maxCost: 0.3 } as const;
const log = (line: string): void => {
  process.stdout.write(`[automation] ${line}\n`);
};

const CREATE_LEAD = 'mutation($input: CreateLeadInput!) { createLead(input: $input) { id } }';
const SOURCES = ['Twitter', 'Web', 'Trade Show', 'Cold Call'];

let serial = 0;
function leadInput(): Record<string, unknown> {
  serial += 1;
  return {
    firstName: 'Bench',
    lastName: `Lead ${serial}`,
    email: `bench-lead-${serial}-${Date.now().toString(36)}@bench.pulse.test`,
    company: serial % 3 === 0 ? `Initech Corp ${serial}` : `Company ${serial}`,
    title: serial % 4 === 0 ? 'Sales Director' : 'Buyer',
    phone: serial % 2 === 0 ? '+4930123456' : null,
    employees: (serial * 37) % 8000,
    address: { country: serial % 5 === 0 ? 'Spain' : 'Germany' },
    leadSource: SOURCES[serial % SOURCES.length],
    annualRevenue: serial % 2 === 0 ? '2500000' : '50000',
  };
}

/** `connections` clients each creating leads back to back for `ms`; returns the creates that succeeded. */
async function createLoad(url: string, token: string, connections: number, ms: number): Promise<{ creates: number; errors: number; seconds: number }> {
  const started = performance.now();
  const stopAt = started + ms;
  let creates = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < stopAt) {
        try {
          await graphqlRequest(url, token, CREATE_LEAD, { input: leadInput() });
          creates += 1;
        } catch {
          errors += 1;
        }
      }
    }),
  );
  return { creates, errors, seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const url = await benchDatabase('postgres://postgres@127.0.0.1:5432/pulse_bench_automation');
  const connections = positiveEnv('BENCH_CONNECTIONS', 32, { max: 1024 });
  const seconds = positiveEnv('BENCH_SECONDS', 10, { integer: false, max: 600 });
  const warmup = positiveEnv('BENCH_WARMUP_SECONDS', 2, { integer: false, max: 600 });
  const poolSize = positiveEnv('BENCH_POOL_SIZE', 10, { max: 100 });
  let database: Database | null = null;
  let server: ServerChild | null = null;
  try {
    database = await openDatabase({ url, poolSize: 4 });
    await migrateDatabase(database);
    if (database.driver.kind !== 'postgres') throw new Error('the benchmark needs PostgreSQL');
    const info = await machineInfo(database.driver.sql, url);
    log(`database ${String(info['database'])}; load average ${String(info['loadAverageBefore'])} on ${String(info['cpus'])} CPUs`);
    const config = benchConfig(url, poolSize);
    const plain = await freshTenant(database.db, config, 'Bench Automation Baseline');
    const automated = await freshTenant(database.db, config, 'Bench Automation Rules', 4);
    server = await startServerChild({ kind: 'pulse', databaseUrl: url, poolSize, publication: true, recordOpens: true }, 10 * 60_000);
    const graphql = `${server.url}/graphql`;
    await createAutomationRules(graphql, automated);
    log(`${connections} clients, ${warmup} s warm-up + ${seconds} s per round, rounds: no rules, rules, no rules, rules`);

    const totals = { plain: { creates: 0, seconds: 0, errors: 0, nodeMs: 0, postgresMs: 0 }, automated: { creates: 0, seconds: 0, errors: 0, nodeMs: 0, postgresMs: 0 } };
    const sqlClient = database.driver.sql;
    const serverPid = server.pid;
    for (const round of [0, 1]) {
      for (const side of ['plain', 'automated'] as const) {
        const tenant = side === 'plain' ? plain : automated;
        await createLoad(graphql, tenant.token, connections, warmup * 1000);
        const cpuBefore = await cpuNow(sqlClient, serverPid);
        const result = await createLoad(graphql, tenant.token, connections, seconds * 1000);
        const cpuAfter = await cpuNow(sqlClient, serverPid);
        totals[side].nodeMs += cpuAfter.node - cpuBefore.node;
        totals[side].postgresMs += cpuAfter.postgres - cpuBefore.postgres;
        totals[side].creates += result.creates;
        totals[side].seconds += result.seconds;
        totals[side].errors += result.errors;
        log(`round ${round + 1}, ${side === 'plain' ? 'no rules' : 'rules'}: ${fixed(result.creates / result.seconds)} creates/s (${result.errors} errors)`);
      }
    }
    const rate = (side: keyof typeof totals) => totals[side].creates / totals[side].seconds;
    const ratio = rate('automated') / rate('plain');
    const cpuPerCreate = (side: keyof typeof totals) => ({ node: totals[side].nodeMs / totals[side].creates, postgres: totals[side].postgresMs / totals[side].creates });
    const cpu = { plain: cpuPerCreate('plain'), automated: cpuPerCreate('automated') };
    const cpuRatio = (cpu.plain.node + cpu.plain.postgres) / (cpu.automated.node + cpu.automated.postgres);
    const cost = 1 - ratio;
    const [stored] = await database.driver.sql<{ runs: number; actions: number; scheduled: number; notifications: number; scored: number; owners: number }[]>`
      select
        (select count(*) from leads where organization_id = ${automated.organizationId} and score <> 0)::int as scored,
        (select count(distinct owner_id) from leads where organization_id = ${automated.organizationId})::int as owners,
        (select count(*) from workflow_runs where organization_id = ${automated.organizationId})::int as runs,
        (select count(*) from workflow_run_actions where organization_id = ${automated.organizationId})::int as actions,
        (select count(*) from workflow_run_actions where organization_id = ${automated.organizationId} and status = 'SCHEDULED')::int as scheduled,
        (select count(*) from notifications where organization_id = ${automated.organizationId})::int as notifications`;
    process.stdout.write(
      `\n${table(
        ['createLead at ' + String(connections) + ' clients', 'creates/s', 'errors', 'Node ms/create', 'PostgreSQL ms/create'],
        [
          ['no rules', fixed(rate('plain')), String(totals.plain.errors), fixed(cpu.plain.node, 2), fixed(cpu.plain.postgres, 2)],
          ['10 scoring, 3 assignment entries, 5 workflow', fixed(rate('automated')), String(totals.automated.errors), fixed(cpu.automated.node, 2), fixed(cpu.automated.postgres, 2)],
        ],
      )}\n`,
    );
    process.stdout.write(`ratio with rules / without: ${fixed(ratio, 3)} (rules cost ${fixed(cost * 100)}%; target under ${TARGET.maxCost * 100}%: ${cost < TARGET.maxCost ? 'met' : 'NOT met'})\n`);
    process.stdout.write(`CPU per create (Node + PostgreSQL), no rules / rules: ${fixed(cpuRatio, 3)} (the throughput ratio a CPU-bound machine would show)\n`);
    process.stdout.write(`rules side stored ${stored?.runs} runs, ${stored?.actions} actions (${stored?.scheduled} scheduled emails), ${stored?.notifications} notifications, ${stored?.scored} scored leads, ${stored?.owners} distinct owners; load average after ${loadAverage()}\n`);
    process.stdout.write(`${sourceLine(info)}\n`);
    const file = writeResult('automation', { info, connections, seconds, warmup, totals, ratio, cost, cpu, cpuRatio, stored, target: TARGET });
    log(`written to ${file}`);
  } finally {
    await server?.stop();
    await database?.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
