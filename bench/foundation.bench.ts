import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../src/config.js';
import type { Sql } from 'postgres';
import type { Database } from '../src/db/database.js';
import { startServer, type PulseServer } from '../src/server/server.js';
import { createLogger } from '../src/shared/logger.js';
import { cpuMeter, type CpuCost } from './cpu.js';
import { floorDeals, NESTED_DEALS_QUERY, startFloorServer, type DealsResponse } from './floor.js';
import { BENCH_ADMIN } from './generate-organization.js';
import { runHttpLoad } from './http-load.js';
import { runLoad, type LoadOptions, type LoadSummary } from './load.js';

export type Side = 'pulse' | 'floor';

export interface FoundationOptions extends LoadOptions {
  /** Measure one side only (profiling); ratios need both. */
  readonly only: Side | null;
}

/** What one side measured: latency and throughput from the clients, CPU from both processes. */
export interface SideResult extends LoadSummary {
  readonly cpu: CpuCost;
}

export interface FoundationResult {
  readonly query: string;
  readonly options: FoundationOptions;
  /** SQL statements Pulse sends for one request of the query (authentication included), median of 21. */
  readonly pulseStatementsPerRequest: number | null;
  readonly pulseStatements: readonly string[];
  readonly pulse: SideResult | null;
  /** The one statement through postgres.js, 16 async loops in-process: no HTTP, no JSON. */
  readonly floorSql: SideResult | null;
  /** The one statement behind a minimal node:http server: HTTP + JSON like Pulse. The ratios use this one. */
  readonly floorHttp: SideResult | null;
  readonly ratios: {
    readonly throughput: number;
    readonly p99: number;
    readonly throughputVsSql: number;
    readonly p99VsSql: number;
    readonly targetMet: boolean;
  } | null;
}

/** The target: at least half the floor's throughput, a p99 at most twice the floor's. */
export const TARGET = { minThroughputRatio: 0.5, maxP99Ratio: 2 } as const;

interface GraphQLBody<T> {
  readonly data?: T | null;
  readonly errors?: readonly { message: string }[];
}

async function graphql<T>(url: string, query: string, token: string | null, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as GraphQLBody<T>;
  if (body.errors || !body.data) throw new Error(`GraphQL ${response.status}: ${JSON.stringify(body.errors ?? body)}`);
  return body.data;
}

async function logInAsBenchAdmin(url: string): Promise<string> {
  const data = await graphql<{ logIn: { token: string } }>(
    url,
    'mutation LogIn($input: LogInInput!) { logIn(input: $input) { token } }',
    null,
    { input: { email: BENCH_ADMIN.email, password: BENCH_ADMIN.password } },
  );
  return data.logIn.token;
}

export interface StatementCounter {
  start(): void;
  stop(): string[];
}

export interface FoundationDeps {
  readonly database: Database;
  readonly config: Config;
  readonly organizationId: string;
  readonly statements: StatementCounter;
  readonly log: (line: string) => void;
}

/** Runs one load and charges the CPU spent meanwhile to its measured requests. */
async function measure(sql: Sql, run: (onMeasureStart: () => void) => Promise<LoadSummary>): Promise<SideResult> {
  const meter = cpuMeter(sql);
  const summary = await run(meter.start);
  return { ...summary, cpu: await meter.finish(summary.requests) };
}

export async function runFoundationBench(deps: FoundationDeps, options: FoundationOptions): Promise<FoundationResult> {
  const { database, config, organizationId, log } = deps;
  if (database.driver.kind !== 'postgres') throw new Error('the foundation benchmark needs PostgreSQL');
  const sql = database.driver.sql;
  const body = JSON.stringify({ query: NESTED_DEALS_QUERY, operationName: 'FoundationDeals' });
  const measures = (side: Side): boolean => options.only === null || options.only === side;

  let pulseServer: PulseServer | null = null;
  try {
    pulseServer = await startServer({ config, database, logger: createLogger('silent') }, { port: 0, host: '127.0.0.1' });
    const pulseUrl = `${pulseServer.url}/graphql`;
    const token = await logInAsBenchAdmin(pulseUrl);

    // Both sides must answer the same bytes of data before their speed means anything.
    const pulseAnswer = { data: await graphql<DealsResponse['data']>(pulseUrl, NESTED_DEALS_QUERY, token) };
    const floorAnswer = await floorDeals(sql, organizationId);
    if (floorAnswer.data.deals.nodes.length !== 100 || !isDeepStrictEqual(pulseAnswer, floorAnswer)) {
      throw new Error('Pulse and the floor disagree on the 100 deals; the comparison would be meaningless');
    }
    log('Pulse and the floor return identical data for the 100 deals');

    // Counted one request at a time; the median ignores a background statement (event retention) landing in one.
    const perRequest: string[][] = [];
    for (let i = 0; i < 21; i += 1) {
      deps.statements.start();
      await graphql(pulseUrl, NESTED_DEALS_QUERY, token);
      perRequest.push(deps.statements.stop());
    }
    const pulseStatements = perRequest.sort((a, b) => a.length - b.length)[Math.floor(perRequest.length / 2)] ?? [];
    const pulseStatementsPerRequest = pulseStatements.length;

    const seconds = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
    const phase = `${options.connections} clients, ${seconds(options.warmupMs)} warm-up + ${seconds(options.durationMs)}`;

    const headers = { authorization: `Bearer ${token}` };
    let floorSql: SideResult | null = null;
    let floorHttp: SideResult | null = null;
    if (measures('floor')) {
      log(`floor (SQL, in-process): ${phase}`);
      floorSql = await measure(sql, (onMeasureStart) =>
        runLoad(
          async () => {
            await floorDeals(sql, organizationId);
          },
          options,
          onMeasureStart,
        ),
      );
      const floorServer = await startFloorServer(sql, organizationId);
      try {
        log(`floor (HTTP): ${phase}`);
        floorHttp = await measure(sql, (onMeasureStart) => runHttpLoad({ url: floorServer.url, body, headers, options }, onMeasureStart));
      } finally {
        await floorServer.stop();
      }
    }

    let pulse: SideResult | null = null;
    if (measures('pulse')) {
      log(`Pulse: ${phase}`);
      pulse = await measure(sql, (onMeasureStart) => runHttpLoad({ url: pulseUrl, body, headers, options }, onMeasureStart));
    }

    const ratios =
      pulse && floorHttp && floorSql
        ? {
            throughput: pulse.requestsPerSecond / floorHttp.requestsPerSecond,
            p99: pulse.p99Ms / floorHttp.p99Ms,
            throughputVsSql: pulse.requestsPerSecond / floorSql.requestsPerSecond,
            p99VsSql: pulse.p99Ms / floorSql.p99Ms,
            targetMet:
              pulse.errors === 0 &&
              pulse.requestsPerSecond / floorHttp.requestsPerSecond >= TARGET.minThroughputRatio &&
              pulse.p99Ms / floorHttp.p99Ms <= TARGET.maxP99Ratio,
          }
        : null;
    return { query: NESTED_DEALS_QUERY, options, pulseStatementsPerRequest, pulseStatements, pulse, floorSql, floorHttp, ratios };
  } finally {
    await pulseServer?.stop();
  }
}
