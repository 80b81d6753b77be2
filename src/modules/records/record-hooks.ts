import type { SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import type { CrmModule } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import type { FieldChange } from '../timeline/timeline.service.js';

/**
 * Where automation (assignment, scoring, workflows) plugs into every record write, in the
 * writer's transaction: record-store calls these for every create and update, whatever path the
 * write came from (API, web form, import, social capture, a workflow's own field update).
 */

/** Who caused a write: automation uses it to avoid re-triggering itself in a loop. */
export type WriteSource = 'user' | 'workflow' | 'import' | 'system';

/** A timeline entry a hook adds to a new record's, written with its CREATED entry. */
export interface DraftTimelineEntry {
  readonly kind: string;
  readonly summary: string;
  readonly data: Record<string, unknown>;
}

export interface CreateDraft {
  readonly module: CrmModule;
  /** The id the record will be inserted with. */
  readonly id: string;
  /** The column values about to be inserted; a hook may change them (e.g. the owner). */
  values: Record<string, unknown>;
  readonly source: WriteSource;
  /** Whether the writer named the owner: an explicit owner wins over assignment rules. */
  readonly ownerGiven: boolean;
  /** Entries written after the CREATED one (a workflow's field updates applied before the insert). */
  readonly timeline: DraftTimelineEntry[];
  /**
   * Writes that go with the record in its insert's statement (one round trip): e.g. its stored
   * score. They must not read the new row; they run whatever the insert's outcome would be.
   */
  readonly companions: SQL[];
  /** What a hook's `beforeCreate` leaves for its own `afterWrite` of the same record, by hook name. */
  readonly state: Map<string, unknown>;
}

/**
 * The row a draft will be inserted as, for rules that judge it before the insert: its values with
 * the columns the database fills in as it will fill them (id, version, times).
 */
export function asInserted(viewer: Viewer, draft: CreateDraft, now = new Date()): Record<string, unknown> {
  return { organizationId: viewer.organizationId, id: draft.id, version: 1, createdAt: now, updatedAt: now, deletedAt: null, ...draft.values };
}

/** A draft for a new record of `module` with these values (the owner defaults to the writer). */
export function newDraft(viewer: Viewer, module: CrmModule, id: string, values: Record<string, unknown>, source: WriteSource): CreateDraft {
  const ownerGiven = values['ownerId'] !== undefined && values['ownerId'] !== null;
  return { module, id, values: { createdById: viewer.userId, ...values, ownerId: ownerGiven ? values['ownerId'] : viewer.userId }, source, ownerGiven, timeline: [], companions: [], state: new Map() };
}

export interface RecordWrite {
  readonly module: CrmModule;
  readonly kind: 'created' | 'updated';
  /** The row before the write (null on create) and after it. */
  readonly before: Readonly<Record<string, unknown>> | null;
  readonly after: Readonly<Record<string, unknown>>;
  /** The changed fields on update; every set field on create. */
  readonly changes: readonly FieldChange[];
  readonly source: WriteSource;
  /** On create: the draft's hook state (`CreateDraft.state`). */
  readonly state?: ReadonlyMap<string, unknown>;
}

export interface RecordHooks {
  /** Lower runs first (assignment 10, territories 20, scoring 30, workflows 40, scoring's final draft score 45). */
  readonly order: number;
  readonly name: string;
  beforeCreate?(tx: Db, viewer: Viewer, draft: CreateDraft): Promise<void>;
  afterWrite?(tx: Db, viewer: Viewer, write: RecordWrite): Promise<void>;
  /**
   * Many creates at once (imports): the effect of `beforeCreate` on each draft in order, with the
   * hook's reads and writes batched. Without it, `beforeCreate` runs draft by draft. Batch
   * writers do not send `companions`: a hook with companions batches its writes in `afterWriteMany`.
   */
  beforeCreateMany?(tx: Db, viewer: Viewer, drafts: readonly CreateDraft[]): Promise<void>;
  /** Many writes at once: the effect of `afterWrite` on each in order. Without it, `afterWrite` runs write by write. */
  afterWriteMany?(tx: Db, viewer: Viewer, writes: readonly RecordWrite[]): Promise<void>;
  /**
   * Whether `afterWrite`/`afterWriteMany` would do anything for records just created in `module`
   * (e.g. the organisation has rules for it). A hook with after-write work and without this is
   * taken to want every created record.
   */
  wantsCreated?(tx: Db, viewer: Viewer, module: CrmModule): Promise<boolean>;
}

const registered: RecordHooks[] = [];

/** Modules register their hooks once, when imported; a name registers once. */
export function registerRecordHooks(hooks: RecordHooks): void {
  if (registered.some((existing) => existing.name === hooks.name)) return;
  registered.push(hooks);
  registered.sort((a, b) => a.order - b.order);
}

export async function runBeforeCreate(tx: Db, viewer: Viewer, draft: CreateDraft): Promise<void> {
  for (const hooks of registered) if (hooks.beforeCreate) await hooks.beforeCreate(tx, viewer, draft);
}

export async function runAfterWrite(tx: Db, viewer: Viewer, write: RecordWrite): Promise<void> {
  for (const hooks of registered) if (hooks.afterWrite) await hooks.afterWrite(tx, viewer, write);
}

/** A batch of creates (imports): each hook in turn over every draft, batched where the hook can. */
export async function runBeforeCreateMany(tx: Db, viewer: Viewer, drafts: readonly CreateDraft[]): Promise<void> {
  for (const hooks of registered) {
    if (hooks.beforeCreateMany) await hooks.beforeCreateMany(tx, viewer, drafts);
    else if (hooks.beforeCreate) for (const draft of drafts) await hooks.beforeCreate(tx, viewer, draft);
  }
}

/**
 * Whether any hook has after-write work for records created in `module`: when none has, a batch
 * writer (imports) need not read the created rows back nor run the after-write hooks.
 */
export async function createdRowsWanted(tx: Db, viewer: Viewer, module: CrmModule): Promise<boolean> {
  for (const hooks of registered) {
    if (!hooks.afterWrite && !hooks.afterWriteMany) continue;
    if (!hooks.wantsCreated || (await hooks.wantsCreated(tx, viewer, module))) return true;
  }
  return false;
}

export async function runAfterWriteMany(tx: Db, viewer: Viewer, writes: readonly RecordWrite[]): Promise<void> {
  for (const hooks of registered) {
    if (hooks.afterWriteMany) await hooks.afterWriteMany(tx, viewer, writes);
    else if (hooks.afterWrite) for (const write of writes) await hooks.afterWrite(tx, viewer, write);
  }
}
