import { newRowId } from '../../db/row-id.js';
import { loadModuleConfig } from '../customization/module-config.js';
import type { CustomizableModule } from '../customization/standard-fields.js';
import { and, asc, eq, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { rowsOf } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { CreateReportInput, CriterionInput, ReportRunOverrides, UpdateReportInput } from '../../generated/graphql.js';
import { badInput, conflict, forbidden, notFound } from '../../shared/errors.js';
import { requiredText } from '../../shared/validation.js';
import { canManage } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { compileReport, type CompiledReport } from './report-compiler.js';
import type { ColumnType, Criterion, ReportDefinition, ResultValue } from './report-definition.js';
import { customReportFields, reportSource, type ReportField, type ReportModule } from './report-fields.js';
import { reports, reportSchedules, type ReportRow } from './reports.table.js';

/** Rows a GraphQL run returns at most; the CSV download streams any number. */
export const GRAPHQL_ROW_CAP = 10_000;

/**
 * Reports the viewer may see: its own and the organisation's shared ones. (When access.ts grows
 * sharing rules for reports and dashboards, this is the condition to move there.)
 */
export function reportScope(viewer: Viewer): SQL {
  return and(eq(reports.organizationId, viewer.organizationId), or(eq(reports.ownerId, viewer.userId), eq(reports.visibility, 'SHARED'))) as SQL;
}

const criteria = (input: readonly CriterionInput[] | null | undefined): Criterion[] =>
  (input ?? []).map((c) => ({ field: c.field, operator: c.operator, value: c.value ?? null, values: c.values ?? null }));

function definitionOf(input: CreateReportInput | UpdateReportInput, base: ReportDefinition | null): ReportDefinition {
  return {
    filters: input.filters !== undefined && input.filters !== null ? criteria(input.filters) : (base?.filters ?? []),
    groupBy: input.groupBy ? input.groupBy.map((g) => ({ field: g.field, bucket: g.bucket ?? null })) : (base?.groupBy ?? []),
    aggregates: input.aggregates ? input.aggregates.map((a) => ({ function: a.function, field: a.field ?? null })) : (base?.aggregates ?? []),
    columns: input.columns ? [...input.columns] : (base?.columns ?? []),
    orderBy: input.orderBy ? input.orderBy.map((o) => ({ column: o.column, direction: o.direction ?? 'ASC' })) : (base?.orderBy ?? []),
    limit: input.limit !== undefined ? (input.limit ?? null) : (base?.limit ?? null),
    timeZone: input.timeZone ?? base?.timeZone ?? 'UTC',
  };
}

export async function createReport(s: Session, input: CreateReportInput): Promise<ReportRow> {
  const name = requiredText('name', input.name, 200);
  const definition = definitionOf(input, null);
  // Compiling validates every field, operator and value against the registry.
  compileReport(s.viewer, input.module, definition, null, await customFieldsFor(s.db, s.viewer, input.module));
  const [row] = await s.db
    .insert(reports)
    .values({ organizationId: s.viewer.organizationId, id: newRowId(), name, module: input.module, definition, visibility: input.visibility ?? 'PRIVATE', ownerId: s.viewer.userId })
    .returning();
  if (!row) throw new Error('insert returned no report');
  return row;
}

export async function getReport(db: Db, viewer: Viewer, id: string): Promise<ReportRow> {
  const [row] = await db.select().from(reports).where(and(reportScope(viewer), eq(reports.id, id)));
  if (!row) throw notFound('Report');
  return row;
}

function assertOwns(viewer: Viewer, row: ReportRow | { ownerId: string }): void {
  if (row.ownerId !== viewer.userId && !canManage(viewer, 'reports')) throw forbidden('Only the owner, or a user whose profile manages reports, may change this');
}

export async function updateReport(s: Session, input: UpdateReportInput): Promise<ReportRow> {
  const current = await getReport(s.db, s.viewer, input.id);
  assertOwns(s.viewer, current);
  if (input.expectedVersion != null && input.expectedVersion !== current.version) throw conflict('The report was changed meanwhile', { currentVersion: current.version });
  const definition = definitionOf(input, current.definition);
  compileReport(s.viewer, current.module as ReportModule, definition, null, await customFieldsFor(s.db, s.viewer, current.module as ReportModule));
  const [row] = await s.db
    .update(reports)
    .set({
      name: input.name != null ? requiredText('name', input.name, 200) : current.name,
      definition,
      visibility: input.visibility ?? current.visibility,
      version: sql`${reports.version} + 1`,
      updatedAt: new Date(),
    })
    .where(and(eq(reports.organizationId, s.viewer.organizationId), eq(reports.id, current.id), eq(reports.version, current.version)))
    .returning();
  if (!row) throw conflict('The report was changed meanwhile');
  return row;
}

export async function deleteReport(s: Session, id: string): Promise<boolean> {
  const current = await getReport(s.db, s.viewer, id);
  assertOwns(s.viewer, current);
  // Its schedules go with it (their queued runs then find nothing and stop).
  await inTransaction(s.db, async (tx) => {
    await tx.delete(reportSchedules).where(and(eq(reportSchedules.organizationId, s.viewer.organizationId), eq(reportSchedules.reportId, id)));
    await tx.delete(reports).where(and(eq(reports.organizationId, s.viewer.organizationId), eq(reports.id, id)));
  });
  return true;
}

export async function listReports(s: Session, module: ReportModule | null | undefined): Promise<ReportRow[]> {
  return s.db
    .select()
    .from(reports)
    .where(and(reportScope(s.viewer), module ? eq(reports.module, module) : undefined))
    .orderBy(asc(reports.name), asc(reports.id));
}

/** The saved definition with a run's overrides (extra filters, a smaller limit, another zone). */
export function withOverrides(definition: ReportDefinition, overrides: ReportRunOverrides | null | undefined): ReportDefinition {
  if (!overrides) return definition;
  return {
    ...definition,
    filters: [...definition.filters, ...criteria(overrides.filters)],
    limit: overrides.limit ?? definition.limit,
    timeZone: overrides.timeZone ?? definition.timeZone,
  };
}

/** The organisation's custom fields of `module` as report fields (`customFields.<apiName>`). */
export async function customFieldsFor(db: Db, viewer: Viewer, module: ReportModule): Promise<ReportField[]> {
  const config = await loadModuleConfig(db, viewer.organizationId, reportSource(module).crmModule as CustomizableModule);
  return customReportFields(module, config.fields);
}

export async function compileSaved(
  db: Db,
  viewer: Viewer,
  row: ReportRow,
  overrides: ReportRunOverrides | null | undefined,
  cap: number | null,
  custom?: Promise<ReportField[]>,
): Promise<CompiledReport> {
  const module = row.module as ReportModule;
  return compileReport(viewer, module, withOverrides(row.definition, overrides), cap, await (custom ?? customFieldsFor(db, viewer, module)));
}

/** Runs a compiled report as one statement; one row more than the cap tells whether it was cut. */
export async function runCompiled(db: Db, compiled: CompiledReport, cap: number): Promise<ResultValue> {
  const rows = rowsOf<Record<string, unknown>>(await db.execute(compiled.query));
  return { columns: compiled.columns, rows: rows.slice(0, cap), truncated: rows.length > cap };
}

export async function runReport(s: Session, id: string, overrides: ReportRunOverrides | null | undefined): Promise<ResultValue> {
  const row = await getReport(s.db, s.viewer, id);
  if (overrides?.limit != null && (overrides.limit < 1 || overrides.limit > GRAPHQL_ROW_CAP)) throw badInput('overrides.limit', `limit must be between 1 and ${GRAPHQL_ROW_CAP}`);
  return runCompiled(s.db, await compileSaved(s.db, s.viewer, row, overrides, GRAPHQL_ROW_CAP + 1), GRAPHQL_ROW_CAP);
}

export async function reportFields(s: Session, module: ReportModule): Promise<{ apiName: string; label: string; type: ColumnType }[]> {
  const fields = [...reportSource(module).fields.values(), ...(await customFieldsFor(s.db, s.viewer, module))];
  return fields.map((f) => ({ apiName: f.apiName, label: f.label, type: f.type }));
}
