import { and, eq } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/database.js';
import type { Viewer } from '../auth/viewer.js';
import { registerRecordHooks, type RecordWrite } from '../records/record-hooks.js';
import type { RecordTable } from '../records/record-store.js';
import { allMatch, criterionMatches } from '../records/criteria.js';
import { dateJobFor } from './date-schedules.js';
import { MODULES, type ModuleSpec, type WorkflowTriggerSpec } from './workflow-definition.js';
import { DATE_JOB, prepareRuns, saveRuns, type StartRun } from './workflow-runs.js';
import { workflowRuntime } from './workflow-runtime.js';
import { activeRules } from './active-rules.js';
import type { WorkflowRuleRow } from './workflows.table.js';

/**
 * The loop rule: writes made by a workflow's own actions (source 'workflow') fire no rule, so
 * rules never cascade into each other or themselves. (Date-relative schedules still follow a
 * date a workflow changed: that only moves when a rule fires, it fires nothing now.)
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

/** The rules a write fires (date rules' jobs are scheduled on the way). */
async function firedFor(tx: Db, viewer: Viewer, write: RecordWrite): Promise<StartRun[]> {
  const spec = specOf(write.module);
  if (!spec) return [];
  const rules = await activeRules(tx, viewer, spec.module);
  if (rules.length === 0) return [];
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

async function afterWrite(tx: Db, viewer: Viewer, write: RecordWrite): Promise<void> {
  await saveRuns(tx, viewer, await prepareRuns(tx, await firedFor(tx, viewer, write)));
}

/** Runs written per statement by a batch: well under PostgreSQL's 65,535 parameters with their actions. */
const RUNS_PER_BATCH = 500;

/**
 * Many writes (an import's batch): the runs they fire are prepared and saved together, so their
 * runs and actions are one statement and their delayed actions' jobs another, per 500 runs,
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

registerRecordHooks({ order: 40, name: 'workflows', afterWrite, afterWriteMany, wantsCreated });
