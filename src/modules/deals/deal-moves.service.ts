import { and, asc, count, eq } from 'drizzle-orm';
import { generateNKeysBetween } from 'fractional-indexing';
import { inTransaction } from '../../db/transaction.js';
import type { Db } from '../../db/database.js';
import type { MoveDealInput } from '../../generated/graphql.js';
import { badInput } from '../../shared/errors.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { resolveStage } from '../pipelines/pipelines.service.js';
import type { StageRow } from '../pipelines/pipelines.table.js';
import { lockForUpdate, saveChanges } from '../records/record-store.js';
import { readScope } from '../auth/access.js';
import { rankAtEnd, rankBetween } from './board-rank.js';
import { DEAL } from './deals.kind.js';
import { publishDealEvent } from './deals.events.js';
import { deals, type DealRow } from './deals.table.js';
import { recordStageEntry } from './stage-history.service.js';

/** The columns a deal takes on entering `stage`: its probability and, for WON/LOST, the closed time. */
export function stageEntryValues(stage: StageRow, at: Date, keepProbability: number | null): Record<string, unknown> {
  return {
    stageId: stage.id,
    probability: keepProbability ?? stage.probability,
    stageEnteredAt: at,
    closedAt: stage.kind === 'OPEN' ? null : at,
  };
}

/**
 * Writes a deal's change of stage and/or place: one deal row, a stage-history entry when the
 * stage changed, the timeline entry, and a MOVED event, all in the caller's transaction.
 */
export async function applyMove(
  tx: Db,
  viewer: Viewer,
  row: DealRow,
  target: StageRow,
  boardRank: string,
  extra: Record<string, unknown> = {},
): Promise<DealRow> {
  const at = new Date();
  const changesStage = target.id !== row.stageId;
  const values = { ...extra, boardRank, ...(changesStage ? stageEntryValues(target, at, (extra['probability'] as number | undefined) ?? null) : {}) };
  const { row: moved, changes } = await saveChanges(tx, viewer, DEAL, row, values, changesStage ? { fromStageId: row.stageId, toStageId: target.id } : {});
  if (changes.length === 0) return moved;
  if (changesStage) await recordStageEntry(tx, viewer, moved, { stageId: row.stageId, enteredAt: row.stageEnteredAt }, at);
  const movedOnBoard = changesStage || changes.some((change) => change.field === 'boardRank');
  // A deal in the recycle bin is on no board (deleteStage moves those too).
  if (moved.deletedAt) return moved;
  publishDealEvent(tx, viewer, movedOnBoard ? 'MOVED' : 'UPDATED', moved, movedOnBoard ? { fromStageId: row.stageId, toStageId: moved.stageId } : undefined);
  return moved;
}

/** Drags a card to a stage and a place between two neighbours, refusing a stale version. */
export async function moveDeal(s: Session, input: MoveDealInput): Promise<DealRow> {
  return inTransaction(s.db, async (tx) => {
    const row = await lockForUpdate(tx, s.viewer, DEAL, input.id, input.expectedVersion);
    const target = await resolveStage(tx, s.viewer, row.pipelineId, input.stageId);
    if (target.pipelineId !== row.pipelineId) throw badInput('stageId', 'stageId belongs to another pipeline');
    const rank = await rankBetween(tx, s.viewer, target.id, row.id, input.afterId, input.beforeId);
    return applyMove(tx, s.viewer, row, target, rank);
  });
}

/**
 * Empties a stage that is being deleted: every deal in it (recycle bin included) goes to the
 * bottom of `target`, in its board order, with history entries and MOVED events for live deals.
 */
export async function moveAllDeals(tx: Db, viewer: Viewer, from: StageRow, target: StageRow): Promise<number> {
  const cards = await tx
    .select()
    .from(deals)
    .where(and(readScope(viewer, 'deals', deals), eq(deals.stageId, from.id)))
    .orderBy(asc(deals.boardRank), asc(deals.id))
    .for('update');
  if (cards.length === 0) return 0;
  const start = await rankAtEnd(tx, viewer, target.id);
  const keys = generateNKeysBetween(start, null, cards.length);
  for (const [index, card] of cards.entries()) await applyMove(tx, viewer, card, target, keys[index] ?? start);
  return cards.length;
}

/** How many deals (recycle bin included) stand in a stage. */
export async function countDealsInStage(tx: Db, viewer: Viewer, stageId: string): Promise<number> {
  const [result] = await tx.select({ n: count() }).from(deals).where(and(readScope(viewer, 'deals', deals), eq(deals.stageId, stageId)));
  return result?.n ?? 0;
}
