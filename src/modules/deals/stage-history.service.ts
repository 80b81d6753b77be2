import { newRowId } from '../../db/row-id.js';
import { and, asc, inArray } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { readScope } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import type { DealRow } from './deals.table.js';
import { dealStageHistory, type StageHistoryRow } from './stage-history.table.js';

/** Records that `deal` left `fromStage` (after `enteredAt`) for its current stage. */
export async function recordStageEntry(
  tx: Db,
  viewer: Viewer,
  deal: DealRow,
  from: { stageId: string; enteredAt: Date } | null,
  at: Date,
): Promise<void> {
  await tx.insert(dealStageHistory).values({
    organizationId: viewer.organizationId,
    id: newRowId(),
    dealId: deal.id,
    fromStageId: from?.stageId ?? null,
    toStageId: deal.stageId,
    movedById: viewer.userId,
    movedAt: at,
    secondsInPreviousStage: from ? Math.max(0, Math.round((at.getTime() - from.enteredAt.getTime()) / 1000)) : null,
  });
}

/** Stage histories of several deals, oldest move first (for the per-request loader). */
export async function stageHistories(db: Db, viewer: Viewer, dealIds: readonly string[]): Promise<Map<string, StageHistoryRow[]>> {
  const rows = await db
    .select()
    .from(dealStageHistory)
    .where(and(readScope(viewer, 'deals', dealStageHistory), inArray(dealStageHistory.dealId, [...dealIds])))
    .orderBy(asc(dealStageHistory.movedAt), asc(dealStageHistory.id));
  const byDeal = new Map<string, StageHistoryRow[]>();
  for (const row of rows) byDeal.set(row.dealId, [...(byDeal.get(row.dealId) ?? []), row]);
  return byDeal;
}
