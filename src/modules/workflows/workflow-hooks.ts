import { newRowId } from '../../db/row-id.js';
import { and, eq } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/database.js';
import { DomainError } from '../../shared/errors.js';
import type { Viewer } from '../auth/viewer.js';
import { asInserted, registerRecordHooks, type CreateDraft, type RecordWrite } from '../records/record-hooks.js';
import { diff, type RecordTable } from '../records/record-store.js';
import { allMatch, criterionMatches } from '../records/criteria.js';
import { describeChanges } from '../timeline/change-summary.js';
import { dateJobFor } from './date-schedules.js';
import { changesOf, RECORD_ACTIONS, type Changes } from './workflow-actions.js';
import { MODULES, type ModuleSpec, type WorkflowTriggerSpec } from './workflow-definition.js';
import { DATE_JOB, messageOf, prepareRuns, runsNow, saveRuns, type SettledAction, type StartRun } from './workflow-runs.js';
import { workflowRuntime } from './workflow-runtime.js';
import { activeRules } from './active-rules.js';
import type { WorkflowRuleRow } from './workflows.table.js';

/**
 * The loop rule: writes made by a workflow's own actions (source 'workflow') fire no rule, so
 * rules never cascade into each other or themselves. (Date-relative schedules still follow a
 * date a workflow changed: that only moves when a rule fires, it fires nothing now.)
 *
 * A new record's rules are decided before its insert, on the values about to be inserted (with
 * their owner and score), and their immediate field updates, tags and owner changes are applied
 * to those values: the record is inserted once, as the rules leave it, with each rule's changes
 * as an UPDATED entry of its timeline. Their other actions run after the insert.
 */

const numberOf = (value: unknown): number | null => (value === null || value === undefined || value === '' ? null : Number.isFinite(Number(value)) ? Number(value) : null);

/** Whether a non-date trigger fires for this write. */
export function triggerFires(trigger: WorkflowTriggerSpec, write: RecordWrite): boolean {
  switch (trigger.type) {
    case 'ON_CREATE':
      return write.kind === 'created';
    case 'ON_EDIT':
      return write.kind === 'updated';
    case 'ON_CREATE_OR_EDIT':
      return true;
    case 'FIELD_UPDATED':
      if (write.kind !== 'updated' || !write.changes.some((change) => change.field === trigger.field)) return false;
      return trigger.value === undefined || criterionMatches({ field: trigger.field ?? '', operator: 'EQUALS', value: trigger.value as string | number | boolean }, write.after);
    case 'SCORE_ABOVE': {
      // Scores come from the scoring rules: any module with a numeric `score` field.
      const threshold = trigger.threshold ?? Number.POSITIVE_INFINITY;
      const after = numberOf(write.after['score']);
      const before = write.before ? numberOf(write.before['score']) : null;
      return after !== null && after >= threshold && (before === null || before < threshold);
    }
    case 'DATE_FIELD':
      return false;
  }
}

/** Schedules a DATE_FIELD rule's job when the record's date is set or moved. */
async function scheduleDate(tx: Db, rule: WorkflowRuleRow, write: RecordWrite): Promise<void> {
  const field = rule.trigger.field;
  if (!field) return;
  if (write.kind === 'updated' && !write.changes.some((change) => change.field === field)) return;
  const job = dateJobFor(rule, String(write.after['id']), write.after[field]);
  if (job) await workflowRuntime().jobs.send(DATE_JOB, job.data, { tx, startAfter: job.startAfter });
}

/**
 * Scoring (an earlier hook) rescored the record inside this same write, after `write.after` was
 * read: a score trigger compares the score as it stands now with the one before the write.
 */
async function withCurrentScore(tx: Db, spec: ModuleSpec, write: RecordWrite): Promise<RecordWrite> {
  const table = spec.kind.table as RecordTable & { score?: PgColumn };
  if (!table.score) return write;
  const [row] = await tx
    .select({ score: table.score })
    .from(table as PgTable)
    .where(and(eq(table.organizationId, write.after['organizationId'] as string), eq(table.id, write.after['id'] as string)));
  return row ? { ...write, after: { ...write.after, score: row.score } } : write;
}

const specOf = (module: string): ModuleSpec | undefined => Object.values(MODULES).find((spec) => spec.module === module);

/** The rules a new record fired before its insert, left for the writes after it (`CreateDraft.state`). */
interface FiredOnCreate {
  readonly fired: readonly { readonly rule: WorkflowRuleRow; readonly runId: string; readonly settled: ReadonlyMap<number, SettledAction> }[];
  /** The values the rules' own changes replaced: their other actions see the record as it fired them. */
  readonly original: Readonly<Record<string, unknown>>;
}

const STATE = 'workflows';

/** One rule's immediate record actions on a new record's values; each failing one is settled FAILED and changes nothing. */
async function applyRecordActions(
  tx: Db,
  viewer: Viewer,
  spec: ModuleSpec,
  rule: WorkflowRuleRow,
  runId: string,
  record: Record<string, unknown>,
  settled: Map<number, SettledAction>,
): Promise<Record<string, unknown>> {
  const now = Date.now();
  const steps: Changes[] = [];
  for (const [index, action] of rule.actions.entries()) {
    if (!RECORD_ACTIONS.has(action.type) || !runsNow(action, record, now)) continue;
    try {
      steps.push(await changesOf({ tx, viewer, runtime: workflowRuntime(), rule, spec, record, runId, actionIndex: index, trigger: rule.trigger.type }, action));
      settled.set(index, { status: 'DONE', error: null });
    } catch (error) {
      // Only a rule's own refusal (a value the picklist lost, an owner deactivated) is the rule's failure.
      if (!(error instanceof DomainError)) throw error;
      settled.set(index, { status: 'FAILED', error: messageOf(error) });
    }
  }
  // Each applied on what the previous ones changed, as when written one after the other.
  return steps.reduce<Record<string, unknown>>((changes, step) => ({ ...changes, ...step({ ...record, ...changes }) }), {});
}

async function beforeCreate(tx: Db, viewer: Viewer, draft: CreateDraft): Promise<void> {
  if (draft.source === 'workflow') return;
  const spec = specOf(draft.module);
  if (!spec) return;
  const rules = await activeRules(tx, viewer, spec.module);
  if (rules.length === 0) return;
  const seen = asInserted(viewer, draft);
  const write: RecordWrite = { module: spec.module, kind: 'created', before: null, after: seen, changes: [], source: draft.source };
  let record = seen;
  const original: Record<string, unknown> = {};
  const fired: FiredOnCreate['fired'][number][] = [];
  for (const rule of rules) {
    if (rule.trigger.type === 'DATE_FIELD' || !triggerFires(rule.trigger, write) || !allMatch(rule.criteria, seen)) continue;
    const runId = newRowId();
    const settled = new Map<number, SettledAction>();
    const changes = await applyRecordActions(tx, viewer, spec, rule, runId, record, settled);
    const changed = diff(record, changes);
    fired.push({ rule, runId, settled });
    if (changed.length === 0) continue;
    const next = { ...record };
    for (const change of changed) {
      const column = change.field.startsWith('customFields.') ? 'customFields' : change.field;
      if (!(column in original)) original[column] = record[column] ?? null;
      next[column] = changes[column];
    }
    record = next;
    draft.timeline.push({ kind: 'UPDATED', summary: describeChanges(changed), data: { changes: changed, workflowRuleId: rule.id } });
  }
  if (record !== seen) {
    const values = { ...draft.values };
    for (const column of Object.keys(original)) values[column] = record[column];
    draft.values = values;
    // The score the rules saw, before their changes rescore the record.
    if ('score' in seen) original['score'] = seen['score'];
  }
  draft.state.set(STATE, { fired, original } satisfies FiredOnCreate);
}

/** The rules a write fires (date rules' jobs are scheduled on the way). */
async function firedFor(tx: Db, viewer: Viewer, write: RecordWrite): Promise<StartRun[]> {
  const spec = specOf(write.module);
  if (!spec) return [];
  const rules = await activeRules(tx, viewer, spec.module);
  if (rules.length === 0) return [];
  const decided = write.kind === 'created' ? (write.state?.get(STATE) as FiredOnCreate | undefined) : undefined;
  if (decided) {
    for (const rule of rules) if (rule.trigger.type === 'DATE_FIELD') await scheduleDate(tx, rule, write);
    const record = { ...write.after, ...decided.original };
    const runtime = workflowRuntime();
    return decided.fired.map(({ rule, runId, settled }) => ({ tx, viewer, runtime, rule, spec, record, trigger: rule.trigger.type, runId, settled }));
  }
  const current = rules.some((rule) => rule.trigger.type === 'SCORE_ABOVE') ? await withCurrentScore(tx, spec, write) : write;
  const fired: StartRun[] = [];
  for (const rule of rules) {
    if (rule.trigger.type === 'DATE_FIELD') {
      await scheduleDate(tx, rule, current);
      continue;
    }
    if (write.source === 'workflow') continue;
    if (!triggerFires(rule.trigger, current) || !allMatch(rule.criteria, current.after)) continue;
    // Emails queued here are sent by their delivery job (a minute later): SMTP has no place inside the writer's transaction.
    fired.push({ tx, viewer, runtime: workflowRuntime(), rule, spec, record: write.after, trigger: rule.trigger.type });
  }
  return fired;
}

/** A single write's runs and notifications are kept for its transaction's end (`writeAtEnd`): one statement with its events. */
async function afterWrite(tx: Db, viewer: Viewer, write: RecordWrite): Promise<void> {
  await saveRuns(tx, viewer, await prepareRuns(tx, await firedFor(tx, viewer, write), true), true);
}

/** Runs written per statement by a batch (an import's batch of records: one statement for its runs, one for their actions). */
const RUNS_PER_BATCH = 1000;

/**
 * Many writes (an import's batch): the runs they fire are prepared and saved together, so their
 * runs and actions are two statements and their delayed actions' jobs another, per 1,000 runs,
 * instead of a round trip each per record. Each record's own actions still write that record.
 */
async function afterWriteMany(tx: Db, viewer: Viewer, writes: readonly RecordWrite[]): Promise<void> {
  let fired: StartRun[] = [];
  const flush = async (): Promise<void> => {
    if (fired.length === 0) return;
    const batch = fired;
    fired = [];
    await saveRuns(tx, viewer, await prepareRuns(tx, batch));
  };
  for (const write of writes) {
    fired.push(...(await firedFor(tx, viewer, write)));
    if (fired.length >= RUNS_PER_BATCH) await flush();
  }
  await flush();
}

/** A created record matters to workflows when its module has active rules (of any trigger). */
async function wantsCreated(tx: Db, viewer: Viewer, module: string): Promise<boolean> {
  const spec = specOf(module);
  return spec !== undefined && (await activeRules(tx, viewer, spec.module)).length > 0;
}

// Without a beforeCreateMany, a batch (an import) runs beforeCreate draft by draft: the rules are cached, the reads are per transaction.
registerRecordHooks({ order: 40, name: 'workflows', beforeCreate, afterWrite, afterWriteMany, wantsCreated });
