import { newRowId } from '../../db/row-id.js';
import { and, eq, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { rowsInsert } from '../../db/bulk-insert.js';
import type { Db } from '../../db/database.js';
import { inTransaction, isOpenTransaction, writeAtEnd, writeBehind } from '../../db/transaction.js';
import { withGenericPlansAround, withGenericPlansOnceLarge } from '../../db/generic-plans.js';
import { DomainError } from '../../shared/errors.js';
import type { Viewer } from '../auth/viewer.js';
import { deliverMessages } from '../emails/email-delivery.js';
import { insertNotifications, notificationRows, notificationsInsert, publishNotifications, type NewNotification } from '../notifications/notifications.service.js';
import type { NotificationRow } from '../notifications/notifications.table.js';
import { organizationById } from '../organizations/organizations.service.js';
import { getUserRow, systemViewer } from '../users/users.service.js';
import { shareActiveRules } from './active-rules.js';
import { openSavepoint, releaseSavepoint } from '../records/savepoint-events.js';
import { executeAction, notificationsOf, RECORD_ACTIONS, saveRecordActions, type ActionContext, type ActionEffects } from './workflow-actions.js';
import { allMatch } from '../records/criteria.js';
import { instantOf, moduleOf, UNIT_MS, type ModuleSpec, type WorkflowActionSpec } from './workflow-definition.js';
import { runStatusOf, settleAction, settleRun, type ActionStatus } from './workflow-run-status.js';
import type { WorkflowRuntime } from './workflow-runtime.js';
import { workflowRunActions, workflowRules, workflowRuns, type WorkflowRuleRow } from './workflows.table.js';

export const ACTION_JOB = 'workflows.action';
export const DATE_JOB = 'workflows.date';

export interface ActionJob {
  readonly organizationId: string;
  readonly runId: string;
  readonly actionIndex: number;
}

export interface DateJob {
  readonly organizationId: string;
  readonly ruleId: string;
  readonly recordId: string;
  /** The date the job was scheduled for (ISO): a record whose date moved since is not fired by this job. */
  readonly date: string;
  /** The rule's offset when scheduled: a rule whose offset was edited since is not fired by this job. */
  readonly offsetMs: number;
}

/** What a run leaves for after its transaction: notifications to publish and emails to deliver. */
interface Collected {
  readonly notifications: NotificationRow[];
  readonly emailIds: string[];
}

export const messageOf = (error: unknown): string => (error instanceof DomainError ? error.message : error instanceof Error ? `Unexpected error: ${error.message}` : 'Unexpected error').slice(0, 1000);

/**
 * Runs one action in a savepoint: a failing action is recorded as FAILED and rolls back only its
 * own effect, never the write that fired the rule.
 */
async function runAction(ctx: ActionContext, action: WorkflowActionSpec, collected: Collected): Promise<{ status: ActionStatus; error: string | null }> {
  try {
    let inner: Db | null = null;
    const effects: ActionEffects = await ctx.tx.transaction((savepoint) => {
      inner = savepoint as Db;
      shareActiveRules(ctx.tx, inner);
      openSavepoint(ctx.tx, inner);
      return executeAction({ ...ctx, tx: inner }, action);
    });
    // Released: the events of its writes (a rescored record) join the transaction's.
    if (inner) releaseSavepoint(inner);
    collected.notifications.push(...(effects.notifications ?? []));
    collected.emailIds.push(...(effects.emailIds ?? []));
    return { status: effects.status, error: null };
  } catch (error) {
    if (!(error instanceof DomainError)) ctx.runtime.logger.warn('workflow action failed', { ruleId: ctx.rule.id, action: action.type, error });
    return { status: 'FAILED', error: messageOf(error) };
  }
}

/** When a delayed action is due: after the trigger, or relative to a date field of the record. */
function dueTime(action: WorkflowActionSpec, record: Readonly<Record<string, unknown>>, now: number): Date | null {
  if (!action.delay) return null;
  const step = action.delay.amount * UNIT_MS[action.delay.unit];
  if (!action.delay.relativeTo) return new Date(now + step);
  const base = instantOf(record[action.delay.relativeTo]);
  return base ? new Date(base.getTime() + step) : null;
}

/**
 * Delayed actions are durable as their SCHEDULED row (`scheduled_for`). One due within the horizon
 * gets its job when its run is written; one due later (a follow-up email two days on) is written
 * without one, and the promoter (`scheduled-actions.ts`, a sweep every minute) sends its job
 * shortly before it is due: a create costs no job insert for its far-off actions, and their jobs
 * go out a batch per statement.
 */
export const PROMOTE_AHEAD_MS = 10 * 60_000;

/** Whether an action due at `at` waits for the promoter rather than getting its job now. */
export const waitsForPromoter = (at: Date, now: number): boolean => at.getTime() > now + PROMOTE_AHEAD_MS;

/** Whether an action runs when its rule fires (not delayed, or due already). */
export function runsNow(action: WorkflowActionSpec, record: Readonly<Record<string, unknown>>, now: number): boolean {
  if (!action.delay) return true;
  const at = dueTime(action, record, now);
  return at !== null && at.getTime() <= now;
}

/** An action done before its run was written (a new record's field updates, applied before its insert). */
export interface SettledAction {
  readonly status: ActionStatus;
  readonly error: string | null;
}

export interface StartRun {
  readonly tx: Db;
  readonly viewer: Viewer;
  readonly runtime: WorkflowRuntime;
  readonly rule: WorkflowRuleRow;
  readonly spec: ModuleSpec;
  readonly record: Readonly<Record<string, unknown>>;
  readonly trigger: string;
  readonly triggerKey?: string;
  /** The run's id when decided before (actions settled with it); a new one otherwise. */
  readonly runId?: string;
  /** Actions already done, by index: recorded as they ended, not run again. */
  readonly settled?: ReadonlyMap<number, SettledAction>;
}

/** A fired rule's run, its actions done or scheduled, not yet written. */
export interface PreparedRun {
  readonly run: typeof workflowRuns.$inferInsert;
  readonly actions: (typeof workflowRunActions.$inferInsert)[];
  readonly withRun: readonly (() => Promise<unknown>)[];
  /** The delayed actions' jobs, sent with the run (all runs' in one statement). */
  readonly delayed: readonly DelayedAction[];
  readonly runtime: WorkflowRuntime;
  readonly collected: Collected;
}

interface DelayedAction {
  readonly data: ActionJob;
  readonly startAfter: Date;
}

type ActionRow = typeof workflowRunActions.$inferInsert;

/** A fired rule's run: delayed actions scheduled, immediate ones waiting to run. */
interface Plan {
  readonly start: StartRun;
  readonly runId: string;
  /** By action index; the immediate actions' rows are filled in when they ran. */
  readonly rows: (ActionRow | undefined)[];
  readonly immediate: { readonly index: number; readonly action: WorkflowActionSpec; readonly ctx: ActionContext }[];
  /** Statements sent with the run (`saveRuns`): the actions' savepoint release. */
  readonly withRun: (() => Promise<unknown>)[];
  readonly delayed: DelayedAction[];
  readonly collected: Collected;
}

const actionRow = (plan: Plan, index: number, type: string, status: ActionStatus, error: string | null): ActionRow => ({
  organizationId: plan.start.viewer.organizationId,
  runId: plan.runId,
  actionIndex: index,
  type,
  status,
  error,
  completedAt: status === 'QUEUED' ? null : new Date(),
});

function planRun(run: StartRun): Plan {
  const { tx, viewer, rule } = run;
  const runId = run.runId ?? newRowId();
  const now = Date.now();
  const result: Plan = { start: run, runId, rows: [], immediate: [], withRun: [], delayed: [], collected: { notifications: [], emailIds: [] } };
  for (const [index, action] of rule.actions.entries()) {
    const settled = run.settled?.get(index);
    if (settled) {
      result.rows[index] = actionRow(result, index, action.type, settled.status, settled.error);
      continue;
    }
    const at = dueTime(action, run.record, now);
    if (action.delay && at === null) {
      result.rows[index] = { organizationId: viewer.organizationId, runId, actionIndex: index, type: action.type, status: 'CANCELLED', error: `The record has no ${action.delay.relativeTo ?? 'date'}` };
      continue;
    }
    if (at && at.getTime() > now) {
      // Due beyond the promoter's horizon: the row alone holds it, and the promoter sends its job in time.
      const later = waitsForPromoter(at, now);
      if (!later) result.delayed.push({ data: { organizationId: viewer.organizationId, runId, actionIndex: index }, startAfter: at });
      result.rows[index] = { organizationId: viewer.organizationId, runId, actionIndex: index, type: action.type, status: 'SCHEDULED', scheduledFor: at, jobQueued: !later };
      continue;
    }
    result.rows[index] = undefined;
    result.immediate.push({ index, action, ctx: { tx, viewer, runtime: run.runtime, rule, spec: run.spec, record: run.record, runId, actionIndex: index, trigger: run.trigger } });
  }
  return result;
}

let savepoints = 0;

type Outcome = { plan: Plan; index: number; type: string; effects: ActionEffects };

/**
 * Every immediate action of the fired rules in ONE savepoint (not one per action), each rule's
 * record actions as one write of the record and the notifications in one insert. The savepoint's
 * release goes with the run's insert (`saveRuns`): one round trip less. Any failure rolls the
 * savepoint back and returns false: the caller then runs the actions one savepoint each, so a
 * failing action still undoes only its own effect.
 *
 * `atEnd` (a single write's runs, in an `inTransaction` transaction): the notifications are
 * complete rows kept for the transaction's end (`writeAtEnd`), written with its events; they
 * need no savepoint, so rules that only notify open none.
 */
async function runTogether(tx: Db, plans: readonly Plan[], atEnd: boolean): Promise<boolean> {
  const first = plans[0];
  if (!first) return true;
  const organizationId = first.start.viewer.organizationId;
  const needsSavepoint = !atEnd || plans.some((plan) => plan.immediate.some((item) => item.action.type !== 'NOTIFY'));
  savepoints = (savepoints % 1_000_000) + 1;
  const name = `workflow_actions_${savepoints}`;
  if (needsSavepoint) await tx.execute(sql.raw(`savepoint ${name}`));
  // The same transaction under a name of its own: events and shared reads are kept per Db, and
  // the savepoint's events must wait for its release.
  const sp = Object.create(tx) as Db;
  shareActiveRules(tx, sp);
  openSavepoint(tx, sp);
  let outcomes: Outcome[];
  let kept: NotificationRow[] = [];
  try {
    const done: Outcome[] = [];
    const notify: { plan: Plan; index: number; type: string; items: NewNotification[] }[] = [];
    for (const plan of plans) {
      const writes = plan.immediate.filter((item) => RECORD_ACTIONS.has(item.action.type));
      const first = writes[0];
      if (first) {
        await saveRecordActions({ ...first.ctx, tx: sp }, writes.map((item) => item.action));
        for (const item of writes) done.push({ plan, index: item.index, type: item.action.type, effects: { status: 'DONE' } });
      }
      for (const item of plan.immediate) {
        if (RECORD_ACTIONS.has(item.action.type)) continue;
        const ctx = { ...item.ctx, tx: sp };
        if (item.action.type === 'NOTIFY') notify.push({ plan, index: item.index, type: item.action.type, items: await notificationsOf(ctx, item.action) });
        else done.push({ plan, index: item.index, type: item.action.type, effects: await executeAction(ctx, item.action) });
      }
    }
    // One insert for every notification; its rows come back in the order of its values.
    const items = notify.flatMap((entry) => entry.items);
    const rows = atEnd ? notificationRows(organizationId, items) : await insertNotifications(sp, organizationId, items);
    if (atEnd) kept = rows;
    let at = 0;
    for (const entry of notify) {
      done.push({ plan: entry.plan, index: entry.index, type: entry.type, effects: { status: 'DONE', notifications: rows.slice(at, at + entry.items.length) } });
      at += entry.items.length;
    }
    outcomes = done;
  } catch {
    if (needsSavepoint) {
      await tx.execute(sql.raw(`rollback to savepoint ${name}`));
      await tx.execute(sql.raw(`release savepoint ${name}`));
    }
    return false;
  }
  // Released: the events of its writes (a rescored record) join the transaction's.
  releaseSavepoint(sp);
  if (needsSavepoint) first.withRun.push(() => tx.execute(sql.raw(`release savepoint ${name}`)));
  if (kept.length > 0 && !writeAtEnd(tx, [notificationsInsert(tx, kept)])) throw new Error('notifications kept for the end of a transaction that has none');
  const byRun = new Map<Plan, Outcome[]>();
  for (const outcome of outcomes) byRun.set(outcome.plan, [...(byRun.get(outcome.plan) ?? []), outcome]);
  for (const [plan, list] of byRun) {
    // Effects in action order, as if run one by one.
    for (const { index, type, effects } of list.sort((a, b) => a.index - b.index)) {
      plan.rows[index] = actionRow(plan, index, type, effects.status, null);
      plan.collected.notifications.push(...(effects.notifications ?? []));
      plan.collected.emailIds.push(...(effects.emailIds ?? []));
    }
  }
  return true;
}

function prepared(plan: Plan): PreparedRun {
  const { viewer, rule } = plan.start;
  const rows = plan.rows.filter((row): row is ActionRow => row !== undefined);
  const { status, error } = runStatusOf(rows.map((row) => ({ status: row.status, error: row.error ?? null })));
  return {
    run: {
      organizationId: viewer.organizationId,
      id: plan.runId,
      ruleId: rule.id,
      module: plan.start.spec.module,
      recordId: String(plan.start.record['id']),
      trigger: plan.start.trigger,
      triggerKey: plan.start.triggerKey ?? null,
      actorId: viewer.userId,
      status,
      error,
      finishedAt: status === 'WAITING' ? null : new Date(),
    },
    actions: rows,
    withRun: plan.withRun,
    delayed: plan.delayed,
    runtime: plan.start.runtime,
    collected: plan.collected,
  };
}

/**
 * Fires rules for a record in the caller's transaction (an `inTransaction` one), all with the
 * same transaction: immediate actions run now, delayed ones become jobs (sent by `saveRuns`) that
 * exist only if the transaction commits. The runs are written by `saveRuns`, with the other runs of
 * the same write.
 */
export async function prepareRuns(tx: Db, runs: readonly StartRun[], atEnd = false): Promise<PreparedRun[]> {
  const plans = runs.map(planRun);
  const waiting = plans.filter((entry) => entry.immediate.length > 0);
  if (waiting.length > 0 && !(await runTogether(tx, waiting, atEnd && isOpenTransaction(tx)))) {
    for (const entry of waiting) {
      for (const item of entry.immediate) {
        const outcome = await runAction(item.ctx, item.action, entry.collected);
        entry.rows[item.index] = actionRow(entry, item.index, item.action.type, outcome.status, outcome.error);
      }
    }
  }
  return plans.map(prepared);
}

/** Runs saved at once from which the runs' statement is worth the two settings around it (`withGenericPlans`). */
const GENERIC_PLANS_FROM = 50;

/**
 * Writes runs and their actions in one statement (the foreign key is checked at its end: the
 * runs of one write cost one round trip; a batch's in two), sends their delayed actions' jobs (and
 * releases the savepoint of their immediate actions) and queues their notifications; returns the
 * emails they queued (the caller may deliver them after commit).
 */
export async function saveRuns(tx: Db, viewer: Viewer, runs: readonly PreparedRun[], atEnd = false): Promise<string[]> {
  if (runs.length === 0) return [];
  const runRows = runs.map((prepared) => prepared.run);
  const actionRows = runs.flatMap((prepared) => prepared.actions);
  // One jsonb parameter per table, a batch (an import's records) or a single create's runs alike: the cheapest to build.
  const insertRuns = rowsInsert(tx, workflowRuns, runRows, 1);
  const insertActions = rowsInsert(tx, workflowRunActions, actionRows, 1);
  const delayed = runs.flatMap((prepared) => prepared.delayed);
  const jobs = runs[0]?.runtime.jobs;
  // The delayed actions' jobs (one statement for all runs) and the actions' savepoint release go
  // with it: independent statements, sent to the server in one write.
  const sends: (() => PromiseLike<unknown>)[] = [...(jobs && delayed.length > 0 ? [() => jobs.sendMany(ACTION_JOB, delayed, { tx })] : []), ...runs.flatMap((prepared) => prepared.withRun)];
  // A single write's runs wait for the transaction's end, in its events' statement: nothing reads them before.
  if (!(atEnd && writeAtEnd(tx, [insertRuns, insertActions], sends))) {
    if (runs.length >= GENERIC_PLANS_FROM) {
      // A batch (an import's), written behind while the next is prepared. The runs' foreign-key
      // checks (their rules, a table the transaction does not grow) keep their plans. Their
      // actions' checks look up runs, which the import is filling: a generic plan made while the
      // table looked empty reads all the organisation's runs for each action (measured: quadratic
      // on a fresh database), so they keep theirs only once the table is large on disk.
      await writeBehind(tx, () => [
        ...[...withGenericPlansAround([insertRuns]), ...withGenericPlansOnceLarge('public.workflow_runs', [insertActions])].map((statement) => tx.execute(statement)),
        ...sends.map((send) => send()),
      ]);
    } else await Promise.all([tx.execute(sql`with run as (${insertRuns}) ${insertActions}`), ...sends.map((send) => send())]);
  }
  publishNotifications(
    tx,
    viewer.organizationId,
    viewer.userId,
    runs.flatMap((prepared) => prepared.collected.notifications),
  );
  return runs.flatMap((prepared) => prepared.collected.emailIds);
}

/** `prepareRuns` and `saveRuns` for one rule. */
export async function startRun(run: StartRun): Promise<string[]> {
  return saveRuns(run.tx, run.viewer, await prepareRuns(run.tx, [run]));
}

/** The acting user of a job: the run's (or record owner's) user, with the organisation's settings. */
async function viewerFor(db: Db, organizationId: string, userId: string): Promise<Viewer | null> {
  const [user, organization] = await Promise.all([getUserRow(db, organizationId, userId), organizationById(db, organizationId)]);
  return user && organization ? systemViewer(user, organization) : null;
}

async function readRecord(tx: Db, spec: ModuleSpec, organizationId: string, id: string): Promise<Record<string, unknown> | undefined> {
  const table = spec.kind.table;
  const [row] = await tx
    .select()
    .from(table as PgTable)
    .where(and(eq(table.organizationId, organizationId), eq(table.id, id)));
  return row as Record<string, unknown> | undefined;
}

async function readRule(tx: Db, organizationId: string, ruleId: string): Promise<WorkflowRuleRow | undefined> {
  const [rule] = await tx.select().from(workflowRules).where(and(eq(workflowRules.organizationId, organizationId), eq(workflowRules.id, ruleId)));
  return rule;
}

async function deliverAfterCommit(db: Db, runtime: WorkflowRuntime, organizationId: string, emailIds: readonly string[], replyTo: string): Promise<void> {
  // The delivery job queued with each message sends it if this fails or the process dies first.
  if (emailIds.length > 0) await deliverMessages(db, runtime.config, { organizationId, messageIds: [...emailIds], replyTo });
}

/**
 * A delayed action whose time has come. The action row moves from SCHEDULED in the same
 * transaction as the effect, so a job run twice (a retry, a second process) acts once.
 * The record must still meet the rule's criteria, else the action is CANCELLED.
 */
export async function runScheduledAction(runtime: WorkflowRuntime, job: ActionJob): Promise<void> {
  const db = runtime.forOrganization(job.organizationId);
  const outcome = await inTransaction(db, async (tx) => {
    const [action] = await tx
      .select()
      .from(workflowRunActions)
      .where(and(eq(workflowRunActions.organizationId, job.organizationId), eq(workflowRunActions.runId, job.runId), eq(workflowRunActions.actionIndex, job.actionIndex)))
      .for('update');
    if (!action || action.status !== 'SCHEDULED') return null;
    const [run] = await tx.select().from(workflowRuns).where(and(eq(workflowRuns.organizationId, job.organizationId), eq(workflowRuns.id, job.runId)));
    const rule = run ? await readRule(tx, job.organizationId, run.ruleId) : undefined;
    const spec = run ? moduleOf(run.module) : undefined;
    const record = run && spec ? await readRecord(tx, spec, job.organizationId, run.recordId) : undefined;
    const actionSpec = rule?.actions[job.actionIndex];
    const cancel = async (reason: string): Promise<null> => {
      await settleAction(tx, job.organizationId, job.runId, job.actionIndex, 'SCHEDULED', 'CANCELLED', reason);
      await settleRun(tx, job.organizationId, job.runId);
      return null;
    };
    if (!run || !rule || !spec || !actionSpec) return cancel('The rule was deleted');
    if (!record || record['deletedAt']) return cancel('The record was deleted');
    if (!rule.active || rule.deletedAt) return cancel('The rule is no longer active');
    if (!allMatch(rule.criteria, record)) return cancel('The record no longer meets the criteria');
    const viewer = (await viewerFor(tx, job.organizationId, run.actorId)) ?? (await viewerFor(tx, job.organizationId, String(record['ownerId'])));
    if (!viewer) return cancel('Nobody to act as');
    const collected: Collected = { notifications: [], emailIds: [] };
    const ctx: ActionContext = { tx, viewer, runtime, rule, spec, record, runId: run.id, actionIndex: job.actionIndex, trigger: run.trigger };
    const result = await runAction(ctx, actionSpec, collected);
    await settleAction(tx, job.organizationId, run.id, job.actionIndex, 'SCHEDULED', result.status, result.error);
    await settleRun(tx, job.organizationId, run.id);
    publishNotifications(tx, job.organizationId, viewer.userId, collected.notifications);
    return { emailIds: collected.emailIds, replyTo: viewer.email };
  });
  if (outcome) await deliverAfterCommit(db, runtime, job.organizationId, outcome.emailIds, outcome.replyTo);
}

/**
 * A DATE_FIELD rule's moment for one record. Jobs are scheduled when the date is written; a job
 * whose date has since changed (a newer job exists for the new date) does nothing.
 */
export async function runDateTrigger(runtime: WorkflowRuntime, job: DateJob): Promise<void> {
  const db = runtime.forOrganization(job.organizationId);
  const outcome = await inTransaction(db, async (tx) => {
    const rule = await readRule(tx, job.organizationId, job.ruleId);
    if (!rule || !rule.active || rule.deletedAt || rule.trigger.type !== 'DATE_FIELD' || !rule.trigger.field) return null;
    if ((rule.trigger.offset ?? 0) * UNIT_MS[rule.trigger.unit ?? 'DAYS'] !== job.offsetMs) return null;
    const spec = moduleOf(rule.module);
    const record = await readRecord(tx, spec, job.organizationId, job.recordId);
    if (!record || record['deletedAt']) return null;
    if (instantOf(record[rule.trigger.field])?.toISOString() !== job.date) return null;
    if (!allMatch(rule.criteria, record)) return null;
    const triggerKey = `${rule.trigger.field}:${job.date}`;
    const [already] = await tx
      .select({ id: workflowRuns.id })
      .from(workflowRuns)
      .where(and(eq(workflowRuns.organizationId, job.organizationId), eq(workflowRuns.ruleId, rule.id), eq(workflowRuns.recordId, job.recordId), eq(workflowRuns.triggerKey, triggerKey)));
    if (already) return null;
    const viewer = await viewerFor(tx, job.organizationId, String(record['ownerId']));
    if (!viewer) return null;
    const emailIds = await startRun({ tx, viewer, runtime, rule, spec, record, trigger: 'DATE_FIELD', triggerKey });
    return { emailIds, replyTo: viewer.email };
  });
  if (outcome) await deliverAfterCommit(db, runtime, job.organizationId, outcome.emailIds, outcome.replyTo);
}
