import { boolean, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { tenantKey, timestampMs } from '../../db/columns.js';
import type { Criterion } from '../records/criteria.js';
import { organizations } from '../organizations/organizations.table.js';

/** Points when a field criterion holds. */
export interface FieldScore extends Criterion {
  readonly points: number;
}

/** Points per signal of a kind, optionally capped (the cap is the most this kind adds). */
export interface SignalScore {
  readonly kind: string;
  readonly points: number;
  readonly maxPoints: number | null;
}

/** Points lost per `everyDays` days without interaction, optionally capped. */
export interface ScoreDecay {
  readonly points: number;
  readonly everyDays: number;
  readonly maxPoints: number | null;
}

export type ScoredModule = 'leads' | 'contacts' | 'deals';

/** A scoring rule of one module; every active rule of the module adds to a record's score. */
export const scoringRules = pgTable(
  'scoring_rules',
  {
    ...tenantKey(),
    module: text('module').$type<ScoredModule>().notNull(),
    name: text('name').notNull(),
    active: boolean('active').notNull().default(true),
    fieldScores: jsonb('field_scores').$type<FieldScore[]>().notNull(),
    signalScores: jsonb('signal_scores').$type<SignalScore[]>().notNull(),
    decay: jsonb('decay').$type<ScoreDecay | null>(),
    /** The rescore this rule's last change started. */
    lastRunId: uuid('last_run_id'),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    updatedAt: timestampMs('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'scoring_rules_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
    index('scoring_rules_module_idx').on(t.organizationId, t.module),
  ],
);

export type ScoringRuleRow = typeof scoringRules.$inferSelect;

/** One rule's share of a score, criterion by criterion: what `scoreBreakdown` explains. */
export interface RuleContribution {
  readonly ruleId: string;
  readonly ruleName: string;
  readonly points: number;
  readonly criteria: readonly CriterionContribution[];
}

export interface CriterionContribution {
  readonly kind: 'FIELD' | 'SIGNAL' | 'DECAY';
  readonly description: string;
  readonly points: number;
  readonly field?: string;
  readonly signalKind?: string;
  readonly count?: number;
}

/**
 * A record's stored score (before decay, which depends on the reading time) and its explanation.
 * The record's own `score` column holds the same number, for sorting and filtering its list.
 */
export const recordScores = pgTable(
  'record_scores',
  {
    organizationId: uuid('organization_id').notNull(),
    recordId: uuid('record_id').notNull(),
    module: text('module').$type<ScoredModule>().notNull(),
    score: integer('score').notNull(),
    breakdown: jsonb('breakdown').$type<RuleContribution[]>().notNull(),
    updatedAt: timestampMs('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.recordId] }),
    foreignKey({ name: 'record_scores_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
  ],
);

export type RecordScoreRow = typeof recordScores.$inferSelect;

/** Every change of a stored score, with what caused it. */
export const scoreHistory = pgTable(
  'score_history',
  {
    ...tenantKey(),
    recordId: uuid('record_id').notNull(),
    module: text('module').$type<ScoredModule>().notNull(),
    previousScore: integer('previous_score').notNull(),
    score: integer('score').notNull(),
    reason: text('reason').notNull(),
    at: timestampMs('at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'score_history_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
    index('score_history_record_idx').on(t.organizationId, t.recordId, t.at),
  ],
);

export type ScoreHistoryRow = typeof scoreHistory.$inferSelect;

/** A background rescore of a whole module after a rule change, with its progress. */
export const scoringRuns = pgTable(
  'scoring_runs',
  {
    ...tenantKey(),
    module: text('module').$type<ScoredModule>().notNull(),
    status: text('status').$type<'RUNNING' | 'DONE' | 'SUPERSEDED'>().notNull(),
    processed: integer('processed').notNull().default(0),
    total: integer('total').notNull(),
    startedAt: timestampMs('started_at').notNull().defaultNow(),
    finishedAt: timestampMs('finished_at'),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'scoring_runs_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
  ],
);

export type ScoringRunRow = typeof scoringRuns.$inferSelect;

/** Names codegen maps the GraphQL types to (the generated file declares types of the same names). */
export type FieldScoreValue = FieldScore;
export type SignalScoreValue = SignalScore;
export type ScoreDecayValue = ScoreDecay;
