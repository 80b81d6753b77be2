import { and, asc, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { generateKeyBetween, generateNKeysBetween } from 'fractional-indexing';
import type { Db } from '../../db/database.js';
import { badInput, conflict } from '../../shared/errors.js';
import { readScope } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import { publishDealEvent } from './deals.events.js';
import { deals } from './deals.table.js';
import { lockKey } from '../records/duplicate-lock.js';

/**
 * Board order within a stage is a fractional key (board_rank, then id): a card moved between two
 * neighbours gets a key between theirs, so a move rewrites one row, never the column.
 */

const liveInStage = (viewer: Viewer, stageId: string) =>
  and(readScope(viewer, 'deals', deals), eq(deals.stageId, stageId), isNull(deals.deletedAt));

/** Serialises writers at the bottom of one column until commit, so two never take the same key. */
async function lockColumn(tx: Db, viewer: Viewer, stageId: string): Promise<void> {
  await lockKey(tx, `board:${viewer.organizationId}:${stageId}`);
}

/** A key after the last card of the stage (new deals and moves without neighbours go to the bottom). */
export async function rankAtEnd(tx: Db, viewer: Viewer, stageId: string): Promise<string> {
  await lockColumn(tx, viewer, stageId);
  const [last] = await tx
    .select({ rank: deals.boardRank })
    .from(deals)
    .where(liveInStage(viewer, stageId))
    .orderBy(desc(deals.boardRank), desc(deals.id))
    .limit(1);
  return generateKeyBetween(last?.rank ?? null, null);
}

/**
 * Gives every card of the stage a fresh, distinct key in its current order (rare: equal keys, e.g.
 * deals from before board keys existed), and tells live boards about each card it re-keyed.
 */
async function rebalance(tx: Db, viewer: Viewer, stageId: string): Promise<void> {
  await lockColumn(tx, viewer, stageId);
  const cards = await tx.select({ id: deals.id, rank: deals.boardRank }).from(deals).where(liveInStage(viewer, stageId)).orderBy(asc(deals.boardRank), asc(deals.id));
  if (cards.length === 0) return;
  const keys = generateNKeysBetween(null, null, cards.length);
  // One statement per card: this path is rare (it only untangles equal keys).
  for (const [index, card] of cards.entries()) {
    const key = keys[index];
    if (!key || key === card.rank) continue;
    const [deal] = await tx
      .update(deals)
      .set({ boardRank: key, version: sql`${deals.version} + 1`, updatedAt: new Date() })
      .where(and(eq(deals.organizationId, viewer.organizationId), eq(deals.id, card.id)))
      .returning();
    if (deal) publishDealEvent(tx, viewer, 'MOVED', deal, { fromStageId: deal.stageId, toStageId: deal.stageId });
  }
}

/**
 * The key for `dealId` placed right after `afterId` and right before `beforeId` in `stageId`
 * (either may be absent: top or bottom of the column).
 */
export async function rankBetween(
  tx: Db,
  viewer: Viewer,
  stageId: string,
  dealId: string,
  afterId: string | null | undefined,
  beforeId: string | null | undefined,
): Promise<string> {
  if (!afterId && !beforeId) return rankAtEnd(tx, viewer, stageId);
  for (const [field, id] of [['afterId', afterId], ['beforeId', beforeId]] as const) {
    if (id === dealId) throw badInput(field, `${field} cannot be the deal being moved`);
  }
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const ids = [afterId, beforeId].filter((id): id is string => Boolean(id));
    const neighbours = await tx
      .select({ id: deals.id, rank: deals.boardRank })
      .from(deals)
      .where(and(liveInStage(viewer, stageId), inArray(deals.id, ids)));
    const rankOf = (field: 'afterId' | 'beforeId', id: string | null | undefined): string | null => {
      if (!id) return null;
      const found = neighbours.find((row) => row.id === id);
      if (!found) throw badInput(field, `${field} is not a card in the target stage`);
      return found.rank;
    };
    const after = rankOf('afterId', afterId);
    const before = rankOf('beforeId', beforeId);
    if (after === null || before === null || after < before) return generateKeyBetween(after, before);
    if (after > before) throw conflict('The neighbouring cards have moved since the board was read; reload the column and try again');
    // Equal keys (e.g. two cards added at the bottom at the same instant): spread the column out once.
    await rebalance(tx, viewer, stageId);
  }
  throw conflict('The column could not be reordered; reload it and try again');
}
