import { newRowId, sqlRowId } from '../../db/row-id.js';
import { and, count, eq, sql, type SQL } from 'drizzle-orm';
import { rowsInsert } from '../../db/bulk-insert.js';
import type { Db } from '../../db/database.js';
import { afterCursor, orderBy, pageSize, toConnection, type Connection, type SortKey } from '../../shared/pagination.js';
import { topPerParent } from '../../shared/top-per-parent.js';
import { readScope } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import { describeChanges } from './change-summary.js';
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
  await tx.execute(timelineInsert(tx, organizationId, actorId, entries));
}

function timelineRows(organizationId: string, actorId: string | null, entries: readonly TimelineEntryInput[]) {
  return entries.map((entry) => ({
    organizationId,
    id: newRowId(),
    recordType: entry.recordType,
    recordId: entry.recordId,
    kind: entry.kind,
    actorId,
    summary: entry.summary,
    data: entry.data ?? {},
  }));
}

/**
 * The insert `appendTimeline` runs, unexecuted: a writer can make it part of its own statement (a
 * CTE). A batch (an import's records) goes as one parameter. Entries must not be empty.
 */
export function timelineInsert(tx: Db, organizationId: string, actorId: string | null, entries: readonly TimelineEntryInput[]): SQL {
  return rowsInsert(tx, timelineEntries, timelineRows(organizationId, actorId, entries));
}

/**
 * One entry of `kind` for every record a statement creates, as the follow-up of that statement
 * (`insertRowsThen`): the new records are read from its `created` (their `id`).
 */
export function timelineForCreated(organizationId: string, actorId: string | null, recordType: TimelineRecordType, kind: string, summary: string, data: Record<string, unknown>): SQL {
  return timelineFromRows(
    organizationId,
    actorId,
    recordType,
    kind,
    sql`select ${sqlRowId()} as id, created.id as record_id, ${summary}::text as summary, ${JSON.stringify(data)}::jsonb as data from created`,
  );
}

/**
 * Entries of `kind` made from the rows of `source`, a query giving `id`, `record_id`, `summary`
 * and `data` for each: for a writer that holds its entries' values as arrays (`unnest`), so no
 * row travels as JSON.
 */
export function timelineFromRows(organizationId: string, actorId: string | null, recordType: TimelineRecordType, kind: string, source: SQL): SQL {
  const t = timelineEntries;
  return sql`insert into ${t} (${sql.identifier(t.organizationId.name)}, ${sql.identifier(t.id.name)}, ${sql.identifier(t.recordType.name)}, ${sql.identifier(t.recordId.name)}, ${sql.identifier(t.kind.name)}, ${sql.identifier(t.actorId.name)}, ${sql.identifier(t.summary.name)}, ${sql.identifier(t.data.name)})
    select ${organizationId}::uuid, s.id, ${recordType}, s.record_id, ${kind}, ${actorId}::uuid, s.summary, s.data from (${source}) as s`;
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

const RECORD_MODULES: Readonly<Record<string, string>> = { LEAD: 'leads', CONTACT: 'contacts', ACCOUNT: 'accounts', DEAL: 'deals' };

/**
 * An entry as `viewer` may read it: changes to fields their profile hides are left out of
 * `changes`, `data` and the sentence, which is rewritten from the visible changes alone.
 */
export function entryForViewer(viewer: Viewer, entry: TimelineEntryRow): { summary: string; changes: FieldChange[]; data: Record<string, unknown> } {
  const changes = changesOf(entry);
  const module = RECORD_MODULES[entry.recordType];
  const hidden = module ? viewer.access.hidden.get(module) : undefined;
  if (!hidden || hidden.size === 0 || changes.length === 0) return { summary: entry.summary, changes, data: entry.data };
  const visible = changes.filter((change) => !hidden.has(change.field));
  if (visible.length === changes.length) return { summary: entry.summary, changes, data: entry.data };
  return {
    summary: visible.length > 0 ? describeChanges(visible) : 'Record updated',
    changes: visible,
    data: { ...entry.data, changes: visible },
  };
}
