import { criterionMatches, describeCriterion, type FieldValue } from '../records/criteria.js';
import type { CriterionContribution, RuleContribution, ScoredModule, ScoringRuleRow } from './scoring.table.js';

/**
 * The arithmetic of scoring, without I/O. A stored score is field points plus signal points;
 * decay (points lost per N days without interaction) depends on when it is read, so it is never
 * stored: `effectiveScore` applies it for display, and the list queries apply the same formula
 * in SQL (score-sql.ts) at one fixed instant, so sorting, filtering and the field agree.
 */

export interface ScoreResult {
  readonly score: number;
  readonly breakdown: RuleContribution[];
}

export const DAY_MS = 24 * 3600 * 1000;

export function computeScore(rules: readonly ScoringRuleRow[], row: Readonly<Record<string, unknown>>, signalCounts: ReadonlyMap<string, number>, fieldValue?: FieldValue): ScoreResult {
  const breakdown: RuleContribution[] = [];
  let score = 0;
  for (const rule of rules) {
    const criteria: CriterionContribution[] = [];
    for (const fieldScore of rule.fieldScores) {
      if (fieldScore.points !== 0 && criterionMatches(fieldScore, row, fieldValue)) {
        criteria.push({ kind: 'FIELD', description: describeCriterion(fieldScore), points: fieldScore.points, field: fieldScore.field });
      }
    }
    for (const signalScore of rule.signalScores) {
      const count = signalCounts.get(signalScore.kind) ?? 0;
      if (count === 0) continue;
      const uncapped = count * signalScore.points;
      const points = signalScore.maxPoints === null ? uncapped : Math.sign(uncapped) * Math.min(Math.abs(uncapped), signalScore.maxPoints);
      const capped = points !== uncapped ? ` (capped at ${signalScore.maxPoints})` : '';
      criteria.push({ kind: 'SIGNAL', description: `${count} × ${signalScore.kind} at ${signalScore.points}${capped}`, points, signalKind: signalScore.kind, count });
    }
    if (criteria.length === 0) continue;
    const points = criteria.reduce((sum, criterion) => sum + criterion.points, 0);
    score += points;
    breakdown.push({ ruleId: rule.id, ruleName: rule.name, points, criteria });
  }
  return { score, breakdown };
}

/** When the record was last touched: its last interaction, or its creation when it has none. */
export function decayAnchor(module: ScoredModule, row: { readonly createdAt: Date; readonly updatedAt: Date; readonly lastActivityAt?: Date | null }): Date {
  if (module === 'deals') return row.updatedAt;
  return row.lastActivityAt ?? row.createdAt;
}

/** Points each decaying rule takes away at `now` (positive numbers). */
export function decayPoints(rules: readonly ScoringRuleRow[], anchor: Date, now: number): { rule: ScoringRuleRow; points: number; steps: number }[] {
  const idleMs = Math.max(0, now - anchor.getTime());
  const result: { rule: ScoringRuleRow; points: number; steps: number }[] = [];
  for (const rule of rules) {
    if (!rule.decay) continue;
    const steps = Math.floor(idleMs / (rule.decay.everyDays * DAY_MS));
    const points = Math.min(steps * rule.decay.points, rule.decay.maxPoints ?? Number.MAX_SAFE_INTEGER);
    if (points > 0) result.push({ rule, points, steps });
  }
  return result;
}

/** The stored breakdown with each decaying rule's loss added: what a reader sees at `now`. */
export function withDecay(stored: { score: number; breakdown: readonly RuleContribution[] }, rules: readonly ScoringRuleRow[], anchor: Date, now: number): ScoreResult {
  const breakdown = stored.breakdown.map((rule) => ({ ...rule, criteria: [...rule.criteria] }));
  let score = stored.score;
  for (const { rule, points, steps } of decayPoints(rules, anchor, now)) {
    const decay = rule.decay;
    if (!decay) continue;
    const criterion: CriterionContribution = {
      kind: 'DECAY',
      description: `${steps * decay.everyDays}+ days without interaction: -${decay.points} per ${decay.everyDays} days${decay.maxPoints !== null && points === decay.maxPoints ? ` (capped at ${decay.maxPoints})` : ''}`,
      points: -points,
    };
    const existing = breakdown.find((entry) => entry.ruleId === rule.id);
    if (existing) breakdown[breakdown.indexOf(existing)] = { ...existing, points: existing.points - points, criteria: [...existing.criteria, criterion] };
    else breakdown.push({ ruleId: rule.id, ruleName: rule.name, points: -points, criteria: [criterion] });
    score -= points;
  }
  return { score, breakdown };
}

