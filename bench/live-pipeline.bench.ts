/**
 * "Live pipeline" benchmark: `npx tsx bench/live-pipeline.bench.ts`. Each figure is set against a
 * floor measured in the same run; every server runs in a process of its own, load generators and
 * WebSocket clients in others. Environment (all optional):
 *   BENCH_DATABASE_URL    postgres://... on this machine (default postgres://postgres@127.0.0.1:5432/pulse_bench_live)
 *   BENCH_SECTIONS        board,fanout,moves (default all three)
 *   BENCH_SECONDS         measured seconds per load phase (default 10; moves split it over the rounds)
 *   BENCH_WARMUP_SECONDS  unmeasured seconds before each phase (default 3)
 *   BENCH_CONNECTIONS     concurrent board clients and move writers (default 16)
 *   BENCH_POOL_SIZE       database connections per server process (default 10, Pulse's default)
 *   BENCH_BOARD_DEALS     deals in the board's pipeline (default 10000)
 *   BENCH_FANOUT_SIZES    subscriber counts timed (default 100,1000,5000)
 *   BENCH_MEMORY_SIZES    subscriber counts whose idle RSS is sampled (default 1000,2000,3000,4000,5000)
 *   BENCH_FANOUT_MOVES    timed deliveries per size (default 10)
 *   BENCH_WS_PROCESSES    client processes holding the sockets (default 2)
 *   BENCH_MOVE_ROUNDS     alternating on/off rounds of the move load (default 2)
 *   BENCH_PROFILE=1       CPU profiles of the Pulse server processes in bench/results/profiles
 */
import { migrateDatabase, openDatabase, type Database } from '../src/db/database.js';
import { benchDatabase, listEnv, machineInfo, positiveEnv, sourceLine, writeResult } from './bench-env.js';
import { BOARD_TARGET, runBoardSection, type BoardResult, type BoardSide } from './live-board.js';
import { boardTenant, type LiveContext } from './live-data.js';
import { runFanoutSection, type FanoutResult } from './live-fanout.js';
import { MOVE_TARGET, runMovesSection, type MoveResult, type MoveSide } from './live-moves.js';
import { fixed, loadAverage, table } from './live-stats.js';
import { benchConfig } from './server-child.js';

const FANOUT_TARGET = { maxP99Ratio: 2 } as const;
const MEMORY_TARGET = { maxKbPerSubscriber: 30, maxRatioToBare: 2 } as const;
const SECTIONS = ['board', 'fanout', 'moves'] as const;
type Section = (typeof SECTIONS)[number];

const log = (line: string): void => {
  process.stdout.write(`[live] ${line}\n`);
};
const verdict = (met: boolean): string => (met ? 'MET' : 'NOT MET');

function sections(): Set<Section> {
  const raw = process.env['BENCH_SECTIONS'];
  if (!raw) return new Set(SECTIONS);
  const chosen = raw.split(',').map((part) => part.trim());
  for (const name of chosen) if (!SECTIONS.includes(name as Section)) throw new Error(`BENCH_SECTIONS: unknown section "${name}"`);
  return new Set(chosen as Section[]);
}

function boardReport(result: BoardResult): string[] {
  const row = (label: string, side: BoardSide) => [
    label,
    fixed(side.requestsPerSecond),
    fixed(side.p50Ms, 2),
    fixed(side.p99Ms, 2),
    String(side.requests),
    String(side.errors),
    fixed(side.serverCpuMsPerRequest, 2),
    fixed(side.postgresCpuMsPerRequest, 2),
  ];
  return [
    `Board load: dealsBoard of ${result.deals} deals over 8 stages, 50 cards each (${result.responseBytes} bytes)`,
    table(['side', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'errors', 'srv cpu ms', 'pg cpu ms'], [
      row('floor: SQL in-process', result.floorSql),
      row('floor: SQL behind node:http', result.floorHttp),
      row('Pulse: GraphQL over HTTP', result.pulse),
    ]),
    `Pulse sends ${result.pulseStatements.length} statements per board (authentication included, BEGIN/COMMIT not counted); the floor 1.`,
    `throughput Pulse/floor(HTTP): ${fixed(result.throughputRatio, 2)}x (target >= ${BOARD_TARGET.minThroughputRatio}x) ${verdict(result.targetMet)}; ` +
      `p99 ${fixed(result.p99Ratio, 2)}x; against the in-process floor ${fixed(result.throughputRatioVsSql, 2)}x`,
  ];
}

function fanoutReport(result: FanoutResult): { lines: string[]; fanoutMet: boolean; memoryMet: boolean } {
  const rows: string[][] = [];
  let fanoutMet = true;
  for (const size of result.options.sizes) {
    const pulse = result.pulse.levels.find((level) => level.subscribers === size)?.latency;
    const floor = result.floor.levels.find((level) => level.subscribers === size)?.latency;
    const ratio = pulse && floor ? pulse.p99Ms / floor.p99Ms : Number.NaN;
    const met = Boolean(pulse && pulse.missing === 0 && ratio <= FANOUT_TARGET.maxP99Ratio);
    fanoutMet &&= met;
    const cpu = (side: FanoutResult['pulse']) => fixed(side.levels.find((level) => level.subscribers === size)?.serverCpuUsPerDelivery, 1);
    rows.push([
      String(size),
      fixed(pulse?.p50Ms, 1),
      fixed(pulse?.p99Ms, 1),
      fixed(pulse?.maxMs, 1),
      String(pulse?.missing ?? '-'),
      cpu(result.pulse),
      fixed(floor?.p50Ms, 1),
      fixed(floor?.p99Ms, 1),
      fixed(floor?.maxMs, 1),
      cpu(result.floor),
      `${fixed(ratio, 2)}x`,
      verdict(met),
    ]);
  }
  const memoryRows = result.options.memorySizes.map((size) => {
    const pulse = result.pulse.levels.find((level) => level.subscribers === size)?.memory;
    const floor = result.floor.levels.find((level) => level.subscribers === size)?.memory;
    return [String(size), fixed((pulse?.rssKb ?? Number.NaN) / 1024), fixed((pulse?.heapUsedKb ?? Number.NaN) / 1024), fixed((floor?.rssKb ?? Number.NaN) / 1024), fixed((floor?.heapUsedKb ?? Number.NaN) / 1024)];
  });
  const perSubscriber = result.pulse.rssKbPerSubscriber;
  const ratioToBare = perSubscriber / result.floor.rssKbPerSubscriber;
  const memoryMet = perSubscriber <= MEMORY_TARGET.maxKbPerSubscriber && ratioToBare <= MEMORY_TARGET.maxRatioToBare;
  return {
    fanoutMet,
    memoryMet,
    lines: [
      `Fan-out: one dealEvents event (${result.pulse.messageBytes} bytes) to every subscriber, ${result.options.moves} timed moves per size, clients in ${result.options.clientProcesses} processes`,
      'Pulse: from moveDeal returning to the mover to receipt; floor: from the bare ws server starting its broadcast loop to receipt.',
      table(['subscribers', 'Pulse p50', 'Pulse p99', 'Pulse max', 'missing', 'Pulse µs', 'floor p50', 'floor p99', 'floor max', 'floor µs', 'p99 ratio', 'target'], rows, 12),
      '(latencies in ms; µs: server process CPU per message delivered to one socket; target: p99 ratio <= 2x)',
      `close codes seen by Pulse clients: ${JSON.stringify(result.pulse.closeCodes)}, client errors ${result.pulse.clientErrors}${result.pulse.firstClientError ? ` (${result.pulse.firstClientError})` : ''}`,
      '',
      'Memory per idle subscriber (server RSS after forced GC, MB):',
      table(['connections', 'Pulse RSS', 'Pulse heap', 'bare RSS', 'bare heap'], memoryRows, 12),
      `slope ${result.options.memorySizes[0]}..${result.options.memorySizes.at(-1)}: Pulse ${fixed(perSubscriber, 2)} KB RSS (${fixed(result.pulse.heapKbPerSubscriber, 2)} KB heap) per subscriber, ` +
        `bare ws ${fixed(result.floor.rssKbPerSubscriber, 2)} KB RSS (${fixed(result.floor.heapKbPerSubscriber, 2)} KB heap) per connection; ratio ${fixed(ratioToBare, 2)}x ` +
        `(target <= ${MEMORY_TARGET.maxKbPerSubscriber} KB and <= ${MEMORY_TARGET.maxRatioToBare}x) ${verdict(memoryMet)}`,
    ],
  };
}

function movesReport(result: MoveResult): string[] {
  const row = (label: string, side: MoveSide) => [
    label,
    fixed(side.movesPerSecond),
    fixed(side.p50Ms, 2),
    fixed(side.p99Ms, 2),
    String(side.errors),
    fixed(side.serverCpuMsPerMove, 2),
    fixed(side.postgresCpuMsPerMove, 2),
    String(side.statements.length),
  ];
  return [
    `Move throughput: moveDeal at ${result.options.connections} writers (own deals, expectedVersion tracked), ${result.options.rounds} alternating rounds per side`,
    table(['side', 'moves/s', 'p50 ms', 'p99 ms', 'errors', 'srv cpu ms', 'pg cpu ms', 'statements'], [
      row('publication off (floor)', result.publicationOff),
      row('publication on (Pulse)', result.publicationOn),
    ]),
    `rounds (moves/s): ${result.runs.map((run) => `${run.publication ? 'on' : 'off'} ${fixed(run.requestsPerSecond)} (+${run.eventsWritten} events)`).join(', ')}`,
    ...result.runs.map(
      (run, index) =>
        `  round ${Math.floor(index / 2) + 1} ${run.publication ? 'on ' : 'off'}: mean active backends by wait: ${Object.entries(run.waits.activeByWait)
          .slice(0, 5)
          .map(([wait, n]) => `${wait} ${n}`)
          .join(', ')}`,
    ),
    `publication cost: ${fixed(result.publicationCost * 100)}% of throughput (target < ${MOVE_TARGET.maxPublicationCost * 100}%) ${verdict(result.targetMet)}`,
  ];
}

async function main(): Promise<void> {
  const url = await benchDatabase('postgres://postgres@127.0.0.1:5432/pulse_bench_live');
  const chosen = sections();
  const seconds = positiveEnv('BENCH_SECONDS', 10, { integer: false, max: 600 });
  const load = {
    connections: positiveEnv('BENCH_CONNECTIONS', 16, { max: 256 }),
    warmupMs: positiveEnv('BENCH_WARMUP_SECONDS', 3, { integer: false, max: 600 }) * 1000,
    durationMs: seconds * 1000,
  };
  const poolSize = positiveEnv('BENCH_POOL_SIZE', 10, { max: 100 });
  const boardDeals = positiveEnv('BENCH_BOARD_DEALS', 10_000, { max: 1_000_000 });
  const fanout = {
    sizes: listEnv('BENCH_FANOUT_SIZES', [100, 1000, 5000], 20_000),
    memorySizes: listEnv('BENCH_MEMORY_SIZES', [1000, 2000, 3000, 4000, 5000], 20_000),
    moves: positiveEnv('BENCH_FANOUT_MOVES', 10, { max: 1000 }),
    clientProcesses: positiveEnv('BENCH_WS_PROCESSES', 2, { max: 16 }),
  };
  const rounds = positiveEnv('BENCH_MOVE_ROUNDS', 2, { max: 10 });
  const moves = { ...load, warmupMs: Math.min(load.warmupMs, 2000), durationMs: Math.max(2000, load.durationMs / rounds), rounds, dealsPerWriter: 8 };

  let database: Database | null = null;
  try {
    database = await openDatabase({ url, poolSize });
    await migrateDatabase(database);
    if (database.driver.kind !== 'postgres') throw new Error('the benchmark needs PostgreSQL');
    const sql = database.driver.sql;
    const info = await machineInfo(sql, url);
    log(`database ${String(info['database'])}; load average ${String(info['loadAverageBefore'])} on ${String(info['cpus'])} CPUs; open files limit ${String(info['openFilesLimit'])}`);
    const started = performance.now();
    const tenant = await boardTenant(database.db, benchConfig(url, poolSize), boardDeals);
    log(`organisation with ${boardDeals} deals over 8 stages generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const ctx: LiveContext = { databaseUrl: url, poolSize, db: database.db, sql, tenant, log };

    const loadAverages: Record<string, number> = { before: loadAverage() };
    const board = chosen.has('board') ? await runBoardSection(ctx, load, boardDeals) : null;
    loadAverages['afterBoard'] = loadAverage();
    const fanoutResult = chosen.has('fanout') ? await runFanoutSection(ctx, fanout) : null;
    loadAverages['afterFanout'] = loadAverage();
    const movesResult = chosen.has('moves') ? await runMovesSection(ctx, moves) : null;
    loadAverages['afterMoves'] = loadAverage();

    const lines = ['', `Live pipeline benchmark. ${String(info['postgres'])}; Node ${process.version}; ${String(info['cpus'])} CPUs; pool ${poolSize} per server process`];
    lines.push(`load average (1 min): ${Object.entries(loadAverages).map(([at, value]) => `${at} ${value}`).join(', ')}`, sourceLine(info), '');
    const targets: Record<string, boolean> = {};
    if (board) {
      lines.push(...boardReport(board), '');
      targets['board'] = board.targetMet;
    }
    if (fanoutResult) {
      const report = fanoutReport(fanoutResult);
      lines.push(...report.lines, '');
      targets['fanout'] = report.fanoutMet;
      targets['memory'] = report.memoryMet;
    }
    if (movesResult) {
      lines.push(...movesReport(movesResult), '');
      targets['moves'] = movesResult.targetMet;
    }
    if (loadAverages['before'] !== undefined && loadAverages['before'] > Number(info['cpus']) / 2) {
      lines.push(`warning: the machine was busy (load ${loadAverages['before']} on ${String(info['cpus'])} CPUs before the run); throughput and latency figures are noisy`);
    }
    lines.push(`targets: ${Object.entries(targets).map(([name, met]) => `${name} ${verdict(met)}`).join(', ')}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    const file = writeResult('live-pipeline', {
      benchmark: 'live-pipeline',
      ...info,
      loadAverages,
      poolSize,
      targets: { board: BOARD_TARGET, fanout: FANOUT_TARGET, memory: MEMORY_TARGET, moves: MOVE_TARGET },
      met: targets,
      board,
      fanout: fanoutResult,
      moves: movesResult,
    });
    log(`results written to ${file}`);
  } finally {
    await database?.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`live-pipeline bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
