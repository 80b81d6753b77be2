/**
 * `npm run bench`: the foundation benchmark. Pulse against a hand-written SQL floor measured in the
 * same run on the same PostgreSQL database. Environment:
 *   BENCH_DATABASE_URL     postgres://... on this machine (default postgres://postgres@127.0.0.1:5432/pulse_bench)
 *   BENCH_SECONDS          measured seconds per side (default 10)
 *   BENCH_WARMUP_SECONDS   unmeasured seconds before each (default 3)
 *   BENCH_CONNECTIONS      concurrent clients (default 16, the issue's figure)
 *   BENCH_POOL_SIZE        database connections, shared by both sides (default 10, Pulse's default)
 *   BENCH_SCALE            fraction of the issue's organisation, for trying the benchmark out (default 1)
 *   BENCH_ONLY             pulse | floor: measure one side only (profiling)
 *   BENCH_RESET            1: drop and recreate the benchmark database first (regenerates the data)
 */
import { cpus, loadavg } from 'node:os';
import { loadConfig } from '../src/config.js';
import { migrateDatabase, openDatabase, type Database } from '../src/db/database.js';
import { assertLoopback, benchDatabaseUrl, ensureDatabaseExists } from './bench-database.js';
import { runFoundationBench, type Side, type StatementCounter } from './foundation.bench.js';
import { ensureOrganization, organizationShape } from './generate-organization.js';
import { formatReport, writeResults } from './report.js';

const log = (line: string): void => {
  process.stdout.write(`[bench] ${line}\n`);
};

function positive(name: string, fallback: number, { integer = true, max = Number.MAX_SAFE_INTEGER } = {}): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be a positive ${integer ? 'whole ' : ''}number${max < Number.MAX_SAFE_INTEGER ? ` up to ${max}` : ''}, got "${raw}"`);
  }
  return value;
}

function onlySide(): Side | null {
  const raw = process.env['BENCH_ONLY'];
  if (raw === undefined || raw === '') return null;
  if (raw !== 'pulse' && raw !== 'floor') throw new Error(`BENCH_ONLY must be pulse or floor, got "${raw}"`);
  return raw;
}

/** Counts what drizzle sends, only while asked to (the rest of the run pays one comparison). */
function statementCounter(): StatementCounter & { onQuery: (query: string) => void } {
  let recording: string[] | null = null;
  return {
    onQuery: (query) => {
      recording?.push(query);
    },
    start: () => {
      recording = [];
    },
    stop: () => {
      const statements = recording ?? [];
      recording = null;
      return statements;
    },
  };
}

const withoutPassword = (url: string): string => {
  const parsed = new URL(url);
  parsed.password = '';
  return parsed.toString();
};

async function main(): Promise<void> {
  const url = benchDatabaseUrl();
  assertLoopback(url);
  const options = {
    connections: positive('BENCH_CONNECTIONS', 16, { max: 256 }),
    warmupMs: positive('BENCH_WARMUP_SECONDS', 3, { integer: false, max: 600 }) * 1000,
    durationMs: positive('BENCH_SECONDS', 10, { integer: false, max: 600 }) * 1000,
    only: onlySide(),
  };
  const poolSize = positive('BENCH_POOL_SIZE', 10, { max: 200 });
  const shape = organizationShape(positive('BENCH_SCALE', 1, { integer: false, max: 1 }));
  const config = loadConfig({
    JWT_SECRET: 'bench-secret-only-for-the-local-benchmark-database',
    PULSE_DATA_DIR: '/tmp/pulse-bench',
    LOG_LEVEL: 'silent',
    DATABASE_URL: url,
    DATABASE_POOL_SIZE: String(poolSize),
    // One tenant's token drives every client: costs are computed and charged, but never run out,
    // and thousands of sockets may share the user.
    QUERY_BUDGET: '1000000000',
    QUERY_BUDGET_RESTORE_RATE: '1000000000',
    WS_MAX_CONNECTIONS_PER_USER: '1000000',
  });

  await ensureDatabaseExists(url, process.env['BENCH_RESET'] === '1');
  const loadBefore = loadavg()[0] ?? 0;
  const counter = statementCounter();
  let database: Database | null = null;
  try {
    database = await openDatabase({ url, poolSize: config.databasePoolSize, onQuery: counter.onQuery });
    await migrateDatabase(database).catch((error: unknown) => {
      throw new Error(
        `migrating ${withoutPassword(url)} failed; if committed migrations were rewritten since it was made, ` +
          `run again with BENCH_RESET=1 to recreate it: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}`,
      );
    });
    const organization = await ensureOrganization(database.db, config, shape, log);
    if (database.driver.kind !== 'postgres') throw new Error('the benchmark needs PostgreSQL');
    const [version] = await database.driver.sql<{ version: string }[]>`select version()`;

    const result = await runFoundationBench({ database, config, organizationId: organization.organizationId, statements: counter, log }, options);
    const info = {
      startedAt: new Date().toISOString(),
      node: process.version,
      postgres: (version?.version ?? 'PostgreSQL').split(' on ')[0] ?? 'PostgreSQL',
      cpus: cpus().length,
      database: withoutPassword(url),
      organization: { ...organization.shape, generatedThisRun: organization.generated, generateSeconds: organization.generateSeconds },
      poolSize,
      loadAverage: { before: loadBefore, after: loadavg()[0] ?? 0 },
    };
    process.stdout.write(formatReport(result, info));
    log(`results written to ${writeResults(result, info)}`);
  } finally {
    await database?.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
