import { and, eq, getTableColumns, isNotNull, isNull } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/database.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import { instantOf, moduleOf, UNIT_MS } from './workflow-definition.js';
import { DATE_JOB, type DateJob } from './workflow-runs.js';
import type { WorkflowRuleRow } from './workflows.table.js';

/** Records scheduled at once when a date rule is created or activated; more are left unscheduled. */
const MAX_EXISTING = 50_000;
const BATCH = 1000;

const offsetMsOf = (rule: WorkflowRuleRow): number => (rule.trigger.offset ?? 0) * UNIT_MS[rule.trigger.unit ?? 'DAYS'];

/** The job firing a DATE_FIELD rule for a record whose date is `value`, or null when that moment has passed. */
export function dateJobFor(rule: WorkflowRuleRow, recordId: string, value: unknown): { data: DateJob; startAfter: Date } | null {
  const date = instantOf(value);
  if (!date) return null;
  const offsetMs = offsetMsOf(rule);
  const startAfter = new Date(date.getTime() + offsetMs);
  if (startAfter.getTime() <= Date.now()) return null;
  return { data: { organizationId: rule.organizationId, ruleId: rule.id, recordId, date: date.toISOString(), offsetMs }, startAfter };
}

/**
 * Schedules a date rule for the records that already hold a date, in the caller's transaction
 * (rule created, activated or its trigger changed). A record scheduled twice fires once: a run is
 * unique per rule, record and date.
 */
export async function scheduleExistingRecords(tx: Db, jobs: JobQueue, rule: WorkflowRuleRow): Promise<number> {
  if (rule.trigger.type !== 'DATE_FIELD' || !rule.trigger.field || !rule.active) return 0;
  const spec = moduleOf(rule.module);
  const table = spec.kind.table;
  const column = (getTableColumns(table) as Record<string, PgColumn>)[rule.trigger.field];
  if (!column) return 0;
  const rows = (await tx
    .select({ id: table.id, value: column })
    .from(table as PgTable)
    .where(and(eq(table.organizationId, rule.organizationId), isNull(table.deletedAt), isNotNull(column)))
    .limit(MAX_EXISTING)) as { id: string; value: unknown }[];
  const due = rows.flatMap((row) => dateJobFor(rule, row.id, row.value) ?? []);
  for (let start = 0; start < due.length; start += BATCH) await jobs.sendMany(DATE_JOB, due.slice(start, start + BATCH), { tx });
  return due.length;
}
