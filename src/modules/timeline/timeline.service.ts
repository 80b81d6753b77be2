import { randomUUID } from 'node:crypto';
import { and, count, eq, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { afterCursor, orderBy, pageSize, toConnection, type Connection, type SortKey } from '../../shared/pagination.js';
import { topPerParent } from '../../shared/top-per-parent.js';
import { readScope } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import { timelineEntries, type TimelineEntryRow } from './timeline.table.js';

export type TimelineRecordType = 'LEAD' | 'CONTACT' | 'ACCOUNT' | 'DEAL';

export interface FieldChange {
  readonly field: string;
  readonly oldValue: unknown;
  readonly newValue: unknown;
}

export interface TimelineEntryInput {
  readonly recordType: TimelineRecordType;
  readonly recordId: string;
  readonly kind: string;
  readonly summary: string;
  readonly data?: Record<string, unknown>;
}

/** Appends entries in the caller's transaction, so history and change commit together. */
export async function appendTimeline(
  tx: Db,
  organizationId: string,
  actorId: string | null,
  entries: readonly TimelineEntryInput[],
): Promise<void> {
  if (entries.length === 0) return;
  await timelineInsert(tx, organizationId, actorId, entries);
}

/** The insert `appendTimeline` runs, unexecuted: a writer can make it part of its own statement (a CTE). Entries must not be empty. */
export function timelineInsert(tx: Db, organizationId: string, actorId: string | null, entries: readonly TimelineEntryInput[]) {
  return tx.insert(timelineEntries).values(
    entries.map((entry) => ({
      organizationId,
      id: randomUUID(),
      recordType: entry.recordType,
      recordId: entry.recordId,
      kind: entry.kind,
      actorId,
      summary: entry.summary,
      data: entry.data ?? {},
    })),
  );
}

const NEWEST_FIRST: SortKey = { column: timelineEntries.at, direction: 'DESC', nullable: false, decode: (v) => new Date(v) };

/** One page of the timeline of each of several records, in one statement (for the per-request loader). */
export async function timelinePages(
  db: Db,
  viewer: Viewer,
  recordIds: readonly string[],
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<Map<string, Connection<TimelineEntryRow>>> {
  const size = pageSize(first, 20);
  const conditions: SQL[] = [readScope(viewer, 'timeline', timelineEntries)];
  if (after) conditions.push(afterCursor(NEWEST_FIRST, timelineEntries.id, after));
  const rows = await topPerParent(
    db,
    timelineEntries,
    timelineEntries.recordId,
    recordIds,
    and(...conditions),
    orderBy(NEWEST_FIRST, timelineEntries.id),
    size + 1,
  );
  const pages = new Map<string, Connection<TimelineEntryRow>>();
  for (const recordId of recordIds) {
    const total = async (): Promise<number> => {
      const [result] = await db
        .select({ n: count() })
        .from(timelineEntries)
        .where(and(readScope(viewer, 'timeline', timelineEntries), eq(timelineEntries.recordId, recordId)));
      return result?.n ?? 0;
    };
    pages.set(recordId, toConnection(rows.get(recordId) ?? [], size, (row) => row.at, total));
  }
  return pages;
}

/** The field changes an UPDATED entry carries. */
export function changesOf(entry: TimelineEntryRow): FieldChange[] {
  const changes = entry.data['changes'];
  return Array.isArray(changes) ? (changes as FieldChange[]) : [];
}
