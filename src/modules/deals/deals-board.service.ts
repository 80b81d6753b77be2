import { and, count, eq, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { currentCursor } from '../../events/positions.js';
import type { DealFilter, QueryDealsBoardArgs } from '../../generated/graphql.js';
import { badInput, notFound } from '../../shared/errors.js';
import { afterCursor, orderBy, toConnection, type Connection, type SortKey } from '../../shared/pagination.js';
import { topPerParent } from '../../shared/top-per-parent.js';
import { readScope, recordScope } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { stagesOfPipelines } from '../pipelines/pipelines.service.js';
import { pipelines, type PipelineRow, type StageRow } from '../pipelines/pipelines.table.js';
import { dealConditions } from './deals.service.js';
import { deals, type DealRow } from './deals.table.js';

export interface BoardColumnData {
  readonly stage: StageRow;
  readonly count: number;
  readonly totalAmount: string;
  readonly weightedAmount: string;
  /** The first `perStage` cards, read in the board's snapshot. */
  readonly cards: Connection<DealRow>;
  readonly filter: DealFilter | null | undefined;
}

export interface BoardData {
  readonly pipeline: PipelineRow;
  readonly columns: BoardColumnData[];
  readonly cursor: string;
}

export const BOARD_ORDER: SortKey = { column: deals.boardRank, direction: 'ASC', nullable: false };

const MAX_PER_STAGE = 200;

/** The filtered deals of a pipeline the viewer may read, with a cursor condition when paging. */
function boardConditions(viewer: Viewer, pipelineId: string, filter: DealFilter | null | undefined, after?: string | null): SQL {
  return and(
    readScope(viewer, 'deals', deals),
    eq(deals.pipelineId, pipelineId),
    ...dealConditions(filter),
    after ? afterCursor(BOARD_ORDER, deals.id, after) : undefined,
  ) as SQL;
}

/** First cards of each stage in board order, `size` each (one statement for every stage). */
export async function boardCards(
  db: Db,
  viewer: Viewer,
  pipelineId: string,
  stageIds: readonly string[],
  filter: DealFilter | null | undefined,
  size: number,
  after: string | null | undefined,
): Promise<Map<string, Connection<DealRow>>> {
  const rows = await topPerParent(db, deals, deals.stageId, stageIds, boardConditions(viewer, pipelineId, filter, after), orderBy(BOARD_ORDER, deals.id), size + 1);
  const columns = new Map<string, Connection<DealRow>>();
  for (const stageId of stageIds) {
    const total = async (): Promise<number> => {
      const [result] = await db.select({ n: count() }).from(deals).where(and(boardConditions(viewer, pipelineId, filter), eq(deals.stageId, stageId)));
      return result?.n ?? 0;
    };
    columns.set(stageId, toConnection(rows.get(stageId) ?? [], size, (row) => row.boardRank, total));
  }
  return columns;
}

const withTotal = (connection: Connection<DealRow>, total: number): Connection<DealRow> => ({ ...connection, totalCount: async () => total });

/**
 * The board in one read-only snapshot: pipeline, stages, per-stage totals over the whole
 * filtered column (in SQL, exact numeric), first cards, and the event cursor of that snapshot,
 * so a client that subscribes after it misses nothing and sees nothing twice.
 */
export async function dealsBoard(s: Session, args: QueryDealsBoardArgs): Promise<BoardData> {
  const perStage = args.perStage ?? 50;
  if (!Number.isInteger(perStage) || perStage < 0 || perStage > MAX_PER_STAGE) throw badInput('perStage', `perStage must be between 0 and ${MAX_PER_STAGE}`);
  return s.db.transaction(
    async (tx) => {
      const [pipeline] = await tx.select().from(pipelines).where(recordScope(s.viewer, 'pipelines', pipelines, args.pipelineId));
      if (!pipeline) throw notFound('Pipeline');
      const stageList = (await stagesOfPipelines(tx, s.viewer, [pipeline.id])).get(pipeline.id) ?? [];
      const totals = await tx
        .select({
          stageId: deals.stageId,
          count: count(),
          totalAmount: sql<string>`coalesce(sum(${deals.amount}), 0)::numeric(20,2)::text`,
          weightedAmount: sql<string>`coalesce(sum(round(${deals.amount} * ${deals.probability} / 100.0, 2)), 0)::numeric(20,2)::text`,
        })
        .from(deals)
        .where(boardConditions(s.viewer, pipeline.id, args.filter))
        .groupBy(deals.stageId);
      const cards = await boardCards(tx as Db, s.viewer, pipeline.id, stageList.map((stage) => stage.id), args.filter, perStage, null);
      const cursor = await currentCursor(tx as Db, s.viewer.organizationId);
      const byStage = new Map(totals.map((row) => [row.stageId, row]));
      return {
        pipeline,
        cursor,
        columns: stageList.map((stage) => ({
          stage,
          count: byStage.get(stage.id)?.count ?? 0,
          totalAmount: byStage.get(stage.id)?.totalAmount ?? '0.00',
          weightedAmount: byStage.get(stage.id)?.weightedAmount ?? '0.00',
          // The count is the column's, read in this snapshot: no query after the transaction ends.
          cards: withTotal(cards.get(stage.id) ?? toConnection([], perStage, () => null, async () => 0), byStage.get(stage.id)?.count ?? 0),
          filter: args.filter,
        })),
      };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}
