import { newRowId } from '../../db/row-id.js';
import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { automationChanged } from '../organizations/automation-version.js';
import type { CreateScoringRuleInput, FieldScoreInput, ScoreDecayInput, ScoringModule, SignalScoreInput, UpdateScoringRuleInput } from '../../generated/graphql.js';
import { badInput, notFound } from '../../shared/errors.js';
import { requiredText } from '../../shared/validation.js';
import { assertManages } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { PgTable } from 'drizzle-orm/pg-core';
import { validateCriterion } from '../records/criteria.js';
import { recordCatalog } from '../records/criteria-catalog.js';
import { SIGNAL_KINDS } from '../signals/signal-kinds.js';
import { SCORED } from './scored-modules.js';
import { startRescore } from './scoring-runs.js';
import { scoringRules, scoringRuns, type FieldScore, type ScoreDecay, type ScoredModule, type ScoringRuleRow, type ScoringRunRow, type SignalScore } from './scoring.table.js';

const MAX_POINTS = 10_000;

export const moduleOf = (module: ScoringModule): ScoredModule => module.toLowerCase() as ScoredModule;

const points = (field: string, value: number): number => {
  if (!Number.isInteger(value) || Math.abs(value) > MAX_POINTS) throw badInput(field, `${field} must be a whole number between -${MAX_POINTS} and ${MAX_POINTS}`);
  return value;
};

const cap = (field: string, value: number | null | undefined): number | null => {
  if (value === null || value === undefined) return null;
  if (!Number.isInteger(value) || value <= 0 || value > MAX_POINTS) throw badInput(field, `${field} must be a positive whole number`);
  return value;
};

/** Field scores on standard fields and the organisation's custom fields (`customFields.<apiName>`). */
async function fieldScores(db: Db, organizationId: string, module: ScoredModule, input: readonly FieldScoreInput[]): Promise<FieldScore[]> {
  if (input.length === 0) return [];
  const catalog = await recordCatalog(db, organizationId, module, SCORED[module].table as PgTable);
  return input.map((score, index) => ({
    ...validateCriterion(catalog, score, `fieldScores.${index}`),
    points: points(`fieldScores.${index}.points`, score.points),
  }));
}

function signalScores(module: ScoredModule, input: readonly SignalScoreInput[]): SignalScore[] {
  if (input.length > 0 && module === 'deals') throw badInput('signalScores', 'Signals are recorded on leads and contacts; deals score on fields');
  const kinds = input.map((score) => score.kind);
  if (new Set(kinds).size !== kinds.length) throw badInput('signalScores', 'One entry per signal kind');
  return input.map((score, index) => {
    if (!SIGNAL_KINDS.includes(score.kind)) throw badInput(`signalScores.${index}.kind`, 'Unknown signal kind');
    return { kind: score.kind, points: points(`signalScores.${index}.points`, score.points), maxPoints: cap(`signalScores.${index}.maxPoints`, score.maxPoints) };
  });
}

function decay(input: ScoreDecayInput | null | undefined): ScoreDecay | null {
  if (!input) return null;
  if (!Number.isInteger(input.points) || input.points <= 0 || input.points > MAX_POINTS) throw badInput('decay.points', 'decay.points must be a positive whole number');
  if (!Number.isInteger(input.everyDays) || input.everyDays < 1 || input.everyDays > 3650) throw badInput('decay.everyDays', 'decay.everyDays must be between 1 and 3650');
  return { points: input.points, everyDays: input.everyDays, maxPoints: cap('decay.maxPoints', input.maxPoints) };
}

async function lockRule(tx: Db, s: Session, id: string): Promise<ScoringRuleRow> {
  const [row] = await tx
    .select()
    .from(scoringRules)
    .where(and(eq(scoringRules.organizationId, s.viewer.organizationId), eq(scoringRules.id, id)))
    .for('update');
  if (!row) throw notFound('Scoring rule');
  return row;
}

export async function createScoringRule(s: Session, input: CreateScoringRuleInput): Promise<ScoringRuleRow> {
  assertManages(s.viewer, 'rules');
  const module = moduleOf(input.module);
  const values = {
    name: requiredText('name', input.name, 120),
    active: input.active ?? true,
    fieldScores: await fieldScores(s.db, s.viewer.organizationId, module, input.fieldScores ?? []),
    signalScores: signalScores(module, input.signalScores ?? []),
    decay: decay(input.decay),
  };
  if (values.fieldScores.length + values.signalScores.length === 0 && !values.decay) throw badInput('fieldScores', 'A rule needs at least one field score, signal score or decay');
  return inTransaction(s.db, async (tx) => {
    await automationChanged(tx, s.viewer.organizationId);
    const run = await startRescore(tx, s.jobs, s.viewer.organizationId, module);
    const [row] = await tx
      .insert(scoringRules)
      .values({ organizationId: s.viewer.organizationId, id: newRowId(), module, ...values, lastRunId: run.id })
      .returning();
    if (!row) throw new Error('insert returned no scoring rule');
    return row;
  });
}

export async function updateScoringRule(s: Session, input: UpdateScoringRuleInput): Promise<ScoringRuleRow> {
  assertManages(s.viewer, 'rules');
  return inTransaction(s.db, async (tx) => {
    await automationChanged(tx, s.viewer.organizationId);
    const row = await lockRule(tx, s, input.id);
    const changes: Partial<ScoringRuleRow> = { updatedAt: new Date() };
    if (input.name != null) changes.name = requiredText('name', input.name, 120);
    if (input.active != null) changes.active = input.active;
    if (input.fieldScores != null) changes.fieldScores = await fieldScores(tx, s.viewer.organizationId, row.module, input.fieldScores);
    if (input.signalScores != null) changes.signalScores = signalScores(row.module, input.signalScores);
    if (input.decay !== undefined) changes.decay = decay(input.decay);
    // Decay is applied at reading time: only points and activity change stored scores.
    const rescore = input.active != null || input.fieldScores != null || input.signalScores != null;
    const run = rescore ? await startRescore(tx, s.jobs, s.viewer.organizationId, row.module) : null;
    const [updated] = await tx
      .update(scoringRules)
      .set({ ...changes, lastRunId: run?.id ?? row.lastRunId })
      .where(and(eq(scoringRules.organizationId, s.viewer.organizationId), eq(scoringRules.id, row.id)))
      .returning();
    if (!updated) throw notFound('Scoring rule');
    return updated;
  });
}

export async function deleteScoringRule(s: Session, id: string): Promise<ScoringRuleRow> {
  assertManages(s.viewer, 'rules');
  return inTransaction(s.db, async (tx) => {
    await automationChanged(tx, s.viewer.organizationId);
    const row = await lockRule(tx, s, id);
    await tx.delete(scoringRules).where(and(eq(scoringRules.organizationId, s.viewer.organizationId), eq(scoringRules.id, row.id)));
    const run = await startRescore(tx, s.jobs, s.viewer.organizationId, row.module);
    return { ...row, lastRunId: run.id };
  });
}

export function listScoringRules(s: Session, module: ScoringModule | null | undefined): Promise<ScoringRuleRow[]> {
  assertManages(s.viewer, 'rules');
  return s.db
    .select()
    .from(scoringRules)
    .where(and(eq(scoringRules.organizationId, s.viewer.organizationId), module ? eq(scoringRules.module, moduleOf(module)) : undefined))
    .orderBy(asc(scoringRules.createdAt), asc(scoringRules.id));
}

export async function getScoringRun(s: Session, id: string): Promise<ScoringRunRow> {
  assertManages(s.viewer, 'rules');
  const [row] = await s.db.select().from(scoringRuns).where(and(eq(scoringRuns.organizationId, s.viewer.organizationId), eq(scoringRuns.id, id)));
  if (!row) throw notFound('Scoring run');
  return row;
}
