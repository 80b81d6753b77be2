import type { Db } from '../../db/database.js';
import { publish } from '../../db/transaction.js';
import type { EventRow } from '../../events/events.table.js';
import type { Viewer } from '../auth/viewer.js';
import type { DealRow } from './deals.table.js';

export type DealEventKind = 'CREATED' | 'UPDATED' | 'MOVED' | 'DELETED' | 'RESTORED';

export const DEAL_TOPIC = 'deal';

/** What a deal event carries: the deal as it was right after the change, and for moves where from and to. */
export interface DealEventData {
  readonly deal: Record<string, unknown>;
  readonly fromStageId?: string | null;
  readonly toStageId?: string;
}

const DATE_FIELDS = ['createdAt', 'updatedAt', 'deletedAt', 'stageEnteredAt', 'closedAt'] as const;

/** Queues a deal event in the transaction of the change (written at its end, see inTransaction). */
export function publishDealEvent(
  tx: Db,
  viewer: Viewer,
  kind: DealEventKind,
  deal: DealRow,
  move?: { fromStageId: string | null; toStageId: string },
): void {
  const data: DealEventData = { deal: JSON.parse(JSON.stringify(deal)) as Record<string, unknown>, ...(move ?? {}) };
  publish(tx, viewer.organizationId, viewer.userId, { topic: DEAL_TOPIC, kind, recordId: deal.id, scopeId: deal.pipelineId, data: { ...data } });
}

/** The deal as the event recorded it (dates revived from their JSON form). */
export function dealOfEvent(event: EventRow): DealRow {
  const raw = { ...(event.data as unknown as DealEventData).deal };
  for (const field of DATE_FIELDS) {
    const value = raw[field];
    raw[field] = typeof value === 'string' ? new Date(value) : null;
  }
  return raw as unknown as DealRow;
}

export function moveOfEvent(event: EventRow): { fromStageId: string | null; toStageId: string | null } {
  const data = event.data as unknown as DealEventData;
  return { fromStageId: data.fromStageId ?? null, toStageId: data.toStageId ?? null };
}
