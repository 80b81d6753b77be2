import { isDeepStrictEqual } from 'node:util';
import { BOARD_QUERY, floorBoard, type BoardResponse } from './board-floor.js';
import { runHttpLoad } from './http-load.js';
import { graphqlRequest } from './live-graphql.js';
import type { LiveContext } from './live-data.js';
import { cpuWindow } from './live-stats.js';
import { runLoad, type LoadOptions, type LoadSummary } from './load.js';
import { startServerChild } from './server-child.js';

export interface BoardSide extends LoadSummary {
  readonly serverCpuMsPerRequest: number;
  readonly postgresCpuMsPerRequest: number;
}

export interface BoardResult {
  readonly deals: number;
  readonly perStage: 50;
  readonly responseBytes: number;
  /** Statements drizzle sent for one board request (authentication included; BEGIN/COMMIT not listed). */
  readonly pulseStatements: string[];
  readonly floorSql: BoardSide;
  readonly floorHttp: BoardSide;
  readonly pulse: BoardSide;
  readonly throughputRatio: number;
  readonly p99Ratio: number;
  readonly throughputRatioVsSql: number;
  readonly targetMet: boolean;
}

export const BOARD_TARGET = { minThroughputRatio: 0.5 } as const;

async function measured(ctx: LiveContext, pid: number, run: (onMeasureStart: () => void) => Promise<LoadSummary>): Promise<BoardSide> {
  const cpu = cpuWindow(ctx.sql, pid);
  const summary = await run(cpu.start);
  const cost = await cpu.finish(summary.requests);
  return { ...summary, serverCpuMsPerRequest: cost.serverMsPerOp, postgresCpuMsPerRequest: cost.postgresMsPerOp };
}

/** dealsBoard through Pulse against one hand-written statement, in-process and behind node:http. */
export async function runBoardSection(ctx: LiveContext, options: LoadOptions, deals: number): Promise<BoardResult> {
  const { tenant, log } = ctx;
  const lifetimeMs = 3 * (options.warmupMs + options.durationMs) + 180_000;
  const pulse = await startServerChild({ kind: 'pulse', databaseUrl: ctx.databaseUrl, poolSize: ctx.poolSize, publication: true, recordOpens: true }, lifetimeMs);
  try {
    const floor = await startServerChild(
      { kind: 'board-floor', databaseUrl: ctx.databaseUrl, poolSize: ctx.poolSize, organizationId: tenant.organizationId, pipelineId: tenant.pipelineId },
      lifetimeMs,
    );
    try {
      const url = `${pulse.url}/graphql`;
      const variables = { p: tenant.pipelineId };
      const body = JSON.stringify({ query: BOARD_QUERY, variables });
      const pulseAnswer = { data: await graphqlRequest<BoardResponse['data']>(url, tenant.token, BOARD_QUERY, variables) };
      const floorAnswer = await floorBoard(ctx.sql, tenant.organizationId, tenant.pipelineId);
      const floorHttpAnswer = (await (await fetch(floor.url, { method: 'POST', body })).json()) as BoardResponse;
      const columns = pulseAnswer.data.dealsBoard.columns;
      if (columns.length !== 8 || columns.some((column) => column.deals.nodes.length !== 50)) throw new Error('the board should have 8 columns of 50 cards');
      if (!isDeepStrictEqual(pulseAnswer, floorAnswer) || !isDeepStrictEqual(floorAnswer, floorHttpAnswer)) {
        throw new Error('Pulse and the floor disagree on the board; the comparison would be meaningless');
      }
      log(`board: Pulse and the floor return identical data (8 columns x 50 cards, ${JSON.stringify(pulseAnswer).length} bytes)`);
      const { statements } = await pulse.recordStatements(() => graphqlRequest(url, tenant.token, BOARD_QUERY, variables));

      const phase = `${options.connections} clients, ${options.warmupMs / 1000} s warm-up + ${options.durationMs / 1000} s`;
      log(`board floor (SQL in-process): ${phase}`);
      const floorSql = await measured(ctx, process.pid, (onStart) =>
        runLoad(
          async () => {
            await floorBoard(ctx.sql, tenant.organizationId, tenant.pipelineId);
          },
          options,
          onStart,
        ),
      );
      log(`board floor (SQL behind node:http, own process): ${phase}`);
      const floorHttp = await measured(ctx, floor.pid, (onStart) => runHttpLoad({ url: floor.url, body, headers: {}, options }, onStart));
      log(`board Pulse (GraphQL over HTTP, own process): ${phase}`);
      const pulseSide = await measured(ctx, pulse.pid, (onStart) =>
        runHttpLoad({ url, body, headers: { authorization: `Bearer ${tenant.token}` }, options }, onStart),
      );
      const throughputRatio = pulseSide.requestsPerSecond / floorHttp.requestsPerSecond;
      return {
        deals,
        perStage: 50,
        responseBytes: JSON.stringify(pulseAnswer).length,
        pulseStatements: statements,
        floorSql,
        floorHttp,
        pulse: pulseSide,
        throughputRatio,
        p99Ratio: pulseSide.p99Ms / floorHttp.p99Ms,
        throughputRatioVsSql: pulseSide.requestsPerSecond / floorSql.requestsPerSecond,
        targetMet: pulseSide.errors === 0 && throughputRatio >= BOARD_TARGET.minThroughputRatio,
      };
    } finally {
      await floor.stop();
    }
  } finally {
    await pulse.stop();
  }
}
