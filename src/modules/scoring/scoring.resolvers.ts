import type { CriterionOperator, Resolvers, ScoreCriterionKind, ScoringModule, SignalKind } from '../../generated/graphql.js';
import type { EventRow } from '../../events/events.table.js';
import { signedIn, subscriber, type GraphQLContext } from '../../server/context.js';
import { canReadRecord } from '../auth/access.js';
import { openSubscriberStream } from '../../server/subscriber-stream.js';
import { decayAnchor, withDecay, type ScoreResult } from './score-compute.js';
import { createScoringRule, deleteScoringRule, getScoringRun, listScoringRules, moduleOf, updateScoringRule } from './scoring-rules.service.js';
import { SCORE_TOPIC, type ScoreEventData } from './scoring.service.js';
import type { CriterionContribution, ScoredModule } from './scoring.table.js';
import type { Viewer } from '../auth/viewer.js';

type Scored = { id: string; createdAt: Date; updatedAt: Date; lastActivityAt?: Date | null };

/** The score a reader sees now: the stored one less decay under the module's active rules. */
async function currentScore(module: ScoredModule, row: Scored, ctx: GraphQLContext): Promise<ScoreResult> {
  const { loaders } = signedIn(ctx);
  const [stored, rules] = await Promise.all([loaders.scoring.storedScore.load(row.id), loaders.scoring.activeRules.load(module)]);
  return withDecay(stored ?? { score: 0, breakdown: [] }, rules, decayAnchor(module, row), Date.now());
}

/**
 * A breakdown as the viewer may read it: a criterion on a field their profile hides keeps its
 * points (the score is the score) but not its test, which would tell them the hidden value's range.
 */
function withoutHiddenFields(viewer: Viewer, module: ScoredModule, result: ScoreResult): ScoreResult {
  const hidden = viewer.access.hidden.get(module);
  if (!hidden || hidden.size === 0) return result;
  const redact = (criterion: CriterionContribution): CriterionContribution => {
    if (!criterion.field || !hidden.has(criterion.field)) return criterion;
    const { field: _hidden, ...rest } = criterion;
    return { ...rest, description: 'A criterion on a field hidden from you' };
  };
  return { ...result, breakdown: result.breakdown.map((rule) => ({ ...rule, criteria: rule.criteria.map(redact) })) };
}

const scoreFields = (module: ScoredModule) => ({
  score: async (row: Scored, _args: unknown, ctx: GraphQLContext) => (await currentScore(module, row, ctx)).score,
  scoreBreakdown: async (row: Scored, _args: unknown, ctx: GraphQLContext) => withoutHiddenFields(signedIn(ctx).viewer, module, await currentScore(module, row, ctx)),
  scoreHistory: (row: Scored, args: { first: number }, ctx: GraphQLContext) => signedIn(ctx).loaders.scoring.history({ first: args.first }).load(row.id),
});

const upper = (module: ScoredModule): ScoringModule => module.toUpperCase() as ScoringModule;
const scoreEvent = (event: EventRow): ScoreEventData => event.data as unknown as ScoreEventData;

export const scoringResolvers: Resolvers = {
  Query: {
    scoringRules: (_parent, { module }, ctx) => listScoringRules(signedIn(ctx), module),
    scoringRun: (_parent, { id }, ctx) => getScoringRun(signedIn(ctx), id),
  },
  Mutation: {
    createScoringRule: (_parent, { input }, ctx) => createScoringRule(signedIn(ctx), input),
    updateScoringRule: (_parent, { input }, ctx) => updateScoringRule(signedIn(ctx), input),
    deleteScoringRule: (_parent, { id }, ctx) => deleteScoringRule(signedIn(ctx), id),
  },
  Subscription: {
    scoreChanged: {
      subscribe: (_parent, { module }, ctx) => {
        const s = subscriber(ctx);
        const wanted = module ? moduleOf(module) : null;
        return openSubscriberStream(s, null, (event) => {
          if (event.topic !== SCORE_TOPIC) return false;
          const data = scoreEvent(event);
          if (wanted && data.module !== wanted) return false;
          return canReadRecord(s.viewer, data.module, { organizationId: event.organizationId, ownerId: data.ownerId, territoryIds: data.territoryIds ?? null });
        });
      },
      resolve: (event: EventRow) => event,
    },
  },
  ScoreChangedEvent: {
    module: (event) => upper(scoreEvent(event).module),
    recordId: (event) => event.recordId,
    score: (event) => scoreEvent(event).score,
    previousScore: (event) => scoreEvent(event).previousScore,
    reason: (event) => scoreEvent(event).reason,
    lead: (event, _args, ctx) => (scoreEvent(event).module === 'leads' ? signedIn(ctx).loaders.leads.byId.load(event.recordId) : null),
    contact: (event, _args, ctx) => (scoreEvent(event).module === 'contacts' ? signedIn(ctx).loaders.contacts.byId.load(event.recordId) : null),
    deal: (event, _args, ctx) => (scoreEvent(event).module === 'deals' ? signedIn(ctx).loaders.deals.byId.load(event.recordId) : null),
  },
  ScoringRule: {
    module: (row) => upper(row.module),
    lastRun: (row, _args, ctx) => (row.lastRunId ? signedIn(ctx).loaders.scoring.run.load(row.lastRunId) : null),
  },
  ScoringRun: {
    module: (row) => upper(row.module),
  },
  FieldScore: {
    operator: (row) => row.operator as CriterionOperator,
    value: (row) => row.value ?? null,
    values: (row) => (row.values ? [...row.values] : null),
  },
  Criterion: {
    operator: (row) => row.operator as CriterionOperator,
    value: (row) => row.value ?? null,
    values: (row) => (row.values ? [...row.values] : null),
  },
  SignalScore: {
    kind: (row) => row.kind as SignalKind,
  },
  ScoreBreakdown: {
    rules: (result) => result.breakdown,
  },
  CriterionScore: {
    kind: (row) => row.kind as ScoreCriterionKind,
    field: (row) => row.field ?? null,
    signalKind: (row) => (row.signalKind ?? null) as SignalKind | null,
    count: (row) => row.count ?? null,
  },
  Lead: scoreFields('leads'),
  Contact: scoreFields('contacts'),
  Deal: scoreFields('deals'),
};
