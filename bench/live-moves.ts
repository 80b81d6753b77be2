import { and, count, eq } from 'drizzle-orm';
import { events } from '../src/events/events.table.js';
import { graphqlRequest, MOVE_DEAL, type MovedDeal } from './live-graphql.js';
import { dealStates, type LiveContext } from './live-data.js';
import { cpuWindow } from './live-stats.js';
import type { LoadOptions, LoadSummary } from './load.js';
import { runMoveLoad } from './move-load.js';
import { sampleWaits, type WaitProfile } from './pg-waits.js';
import { startServerChild, type ServerChild } from './server-child.js';

export interface MoveOptions extends LoadOptions {
  /** Each side is measured this many times, alternating, to spread the machine's noise over both. */
  readonly rounds: number;
  readonly dealsPerWriter: number;
}

export interface MoveRun extends LoadSummary {
  readonly publication: boolean;
  readonly serverCpuMsPerMove: number;
  readonly postgresCpuMsPerMove: number;
  /** Events the organisation gained during the run (warm-up included): 0 with publication off. */
  readonly eventsWritten: number;
  /** What the database's active backends waited on during the run (row locks, WAL flush, CPU). */
  readonly waits: WaitProfile;
}

export interface MoveSide {
  readonly movesPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly serverCpuMsPerMove: number;
  readonly postgresCpuMsPerMove: number;
  readonly statements: string[];
}

export interface MoveResult {
  readonly options: MoveOptions;
  readonly runs: MoveRun[];
  readonly publicationOn: MoveSide;
  readonly publicationOff: MoveSide;
  /** 1 - on/off throughput: what writing and publishing the event costs. */
  readonly publicationCost: number;
  readonly targetMet: boolean;
}

export const MOVE_TARGET = { maxPublicationCost: 0.15 } as const;

async function eventCount(ctx: LiveContext): Promise<number> {
  const [row] = await ctx.db.select({ n: count() }).from(events).where(and(eq(events.organizationId, ctx.tenant.organizationId)));
  return row?.n ?? 0;
}

function combine(runs: readonly MoveRun[], statements: string[]): MoveSide {
  const requests = runs.reduce((sum, run) => sum + run.requests, 0);
  const seconds = runs.reduce((sum, run) => sum + run.seconds, 0);
  const mean = (pick: (run: MoveRun) => number) => runs.reduce((sum, run) => sum + pick(run), 0) / runs.length;
  return {
    movesPerSecond: requests / seconds,
    p50Ms: mean((run) => run.p50Ms),
    p99Ms: mean((run) => run.p99Ms),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    serverCpuMsPerMove: mean((run) => run.serverCpuMsPerMove),
    postgresCpuMsPerMove: mean((run) => run.postgresCpuMsPerMove),
    statements,
  };
}

/** moveDeal at N writers with events on, against the same server code with publication off. */
export async function runMovesSection(ctx: LiveContext, options: MoveOptions): Promise<MoveResult> {
  const { tenant, log } = ctx;
  const lifetimeMs = 2 * options.rounds * (options.warmupMs + options.durationMs) + 240_000;
  const start = (publication: boolean) =>
    startServerChild({ kind: 'pulse', databaseUrl: ctx.databaseUrl, poolSize: ctx.poolSize, publication, recordOpens: true }, lifetimeMs);
  const servers: ServerChild[] = [];
  try {
    const on = await start(true);
    servers.push(on);
    const off = await start(false);
    servers.push(off);
    const ids = (await dealStates(ctx.db, tenant.organizationId, options.connections * options.dealsPerWriter)).map((deal) => deal.id);

    // One move, recorded statement by statement, on each side.
    const statementsOf = async (server: ServerChild): Promise<string[]> => {
      const [deal] = await dealStates(ctx.db, tenant.organizationId, ids.slice(0, 1));
      if (!deal) throw new Error('no deal');
      const stageId = tenant.stageIds[(tenant.stageIds.indexOf(deal.stageId) + 1) % tenant.stageIds.length];
      const { statements } = await server.recordStatements(() =>
        graphqlRequest<MovedDeal>(`${server.url}/graphql`, tenant.token, MOVE_DEAL, { input: { id: deal.id, expectedVersion: deal.version, stageId } }),
      );
      return statements;
    };
    const onStatements = await statementsOf(on);
    const offStatements = await statementsOf(off);

    const runs: MoveRun[] = [];
    for (let round = 0; round < options.rounds; round += 1) {
      for (const [server, publication] of [[on, true], [off, false]] as const) {
        const states = await dealStates(ctx.db, tenant.organizationId, ids);
        const writers = Array.from({ length: options.connections }, (_, w) => states.slice(w * options.dealsPerWriter, (w + 1) * options.dealsPerWriter));
        log(`moves, publication ${publication ? 'on' : 'off'} (round ${round + 1}/${options.rounds}): ${options.connections} writers, ${options.warmupMs / 1000} s warm-up + ${options.durationMs / 1000} s`);
        const before = await eventCount(ctx);
        const cpu = cpuWindow(ctx.sql, server.pid);
        const waits = sampleWaits(ctx.sql);
        const summary = await runMoveLoad({ url: `${server.url}/graphql`, token: tenant.token, writers, stageIds: tenant.stageIds, options }, cpu.start);
        const waitProfile = await waits.stop();
        const cost = await cpu.finish(summary.requests);
        runs.push({
          ...summary,
          publication,
          serverCpuMsPerMove: cost.serverMsPerOp,
          postgresCpuMsPerMove: cost.postgresMsPerOp,
          eventsWritten: (await eventCount(ctx)) - before,
          waits: waitProfile,
        });
      }
    }
    const publicationOn = combine(runs.filter((run) => run.publication), onStatements);
    const publicationOff = combine(runs.filter((run) => !run.publication), offStatements);
    const publicationCost = 1 - publicationOn.movesPerSecond / publicationOff.movesPerSecond;
    return {
      options,
      runs,
      publicationOn,
      publicationOff,
      publicationCost,
      targetMet: publicationOn.errors === 0 && publicationOff.errors === 0 && publicationCost < MOVE_TARGET.maxPublicationCost,
    };
  } finally {
    for (const server of servers) await server.stop();
  }
}
