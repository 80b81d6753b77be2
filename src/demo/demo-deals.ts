import { newRowId } from '../db/row-id.js';
import { generateNKeysBetween } from 'fractional-indexing';
import type { deals } from '../modules/deals/deals.table.js';
import type { dealStageHistory } from '../modules/deals/stage-history.table.js';
import type { StageRow } from '../modules/pipelines/pipelines.table.js';
import { describeChanges } from '../modules/timeline/change-summary.js';
import type { FieldChange } from '../modules/timeline/timeline.service.js';
import { LEAD_SOURCES } from '../shared/picklists.js';
import type { AccountRef } from './demo-accounts.js';
import { NEXT_STEPS, PRODUCTS } from './demo-names.js';
import {
  addDays,
  amount,
  between,
  earliest,
  isoDate,
  latest,
  pickCreator,
  pickOwner,
  tags,
  timelineEntry,
  workingTime,
  type DemoContext,
  type NewTimelineEntry,
  type RecordRef,
} from './demo-values.js';

export type NewDeal = typeof deals.$inferInsert;

export type NewStageMove = typeof dealStageHistory.$inferInsert;

export interface DemoDeals {
  readonly deals: NewDeal[];
  readonly dealRefs: RecordRef[];
  readonly timeline: NewTimelineEntry[];
  /** Each deal's entry into its first stage and, for moved deals, the move to its current one. */
  readonly stageHistory: NewStageMove[];
}

/** Early stages hold more deals than late ones; a year of history fills Won and Lost. */
const stageWeight = (stage: StageRow): number =>
  stage.kind === 'WON' ? 18 : stage.kind === 'LOST' ? 10 : Math.max(4, 14 - 2 * stage.position);

/** The first `stages.length` deals visit every stage once, so no column of the board is empty. */
function stagesFor(context: DemoContext, stages: readonly StageRow[], count: number): StageRow[] {
  const weights = stages.map((stage) => [stage, stageWeight(stage)] as const);
  return Array.from({ length: count }, (_, i) => stages[i] ?? context.random.weighted(weights));
}

interface PipelinePlan {
  readonly stages: readonly StageRow[];
  readonly count: number;
  readonly accounts: readonly AccountRef[];
  readonly name: (account: AccountRef, closingDate: string) => string;
  readonly amount: () => string;
}

/** Open deals close around today (a few already slipped); closed ones closed in the past year. */
function dates(context: DemoContext, account: AccountRef, stage: StageRow): { createdAt: Date; closingDate: Date; movedAt: Date } {
  const { random, now } = context;
  const notBefore = addDays(account.createdAt, 1);
  if (stage.kind === 'OPEN') {
    const createdAt = between(random, latest(notBefore, addDays(now, -150)), addDays(now, -1));
    const closingDate = latest(addDays(now, random.int(-15, 120)), addDays(createdAt, 7));
    return { createdAt, closingDate, movedAt: between(random, createdAt, now) };
  }
  const closedOn = addDays(now, -random.int(1, 240));
  const createdAt = latest(notBefore, addDays(closedOn, -random.int(14, 120)));
  const closingDate = latest(closedOn, addDays(createdAt, 7));
  return { createdAt, closingDate, movedAt: earliest(now, latest(createdAt, workingTime(random, closingDate))) };
}

/** Distinct, valid fractional keys per stage in generation order, as moves to the bottom would give. */
function assignBoardKeys(newDeals: NewDeal[]): void {
  const byStage = new Map<string, NewDeal[]>();
  for (const deal of newDeals) byStage.set(deal.stageId, [...(byStage.get(deal.stageId) ?? []), deal]);
  for (const column of byStage.values()) {
    const keys = generateNKeysBetween(null, null, column.length);
    column.forEach((deal, index) => (deal.boardRank = keys[index] ?? 'a0'));
  }
}

export function generateDeals(context: DemoContext, accountRefs: readonly AccountRef[], standardCount: number, renewalCount: number): DemoDeals {
  const { random, organizationId } = context;
  const buyers = accountRefs.filter((account) => !['Competitor', 'Press', 'Analyst', 'Investor', 'Vendor'].includes(account.accountType));
  const customers = accountRefs.filter((account) => account.accountType === 'Customer');
  const plans: PipelinePlan[] = [
    {
      stages: context.standardStages,
      count: standardCount,
      accounts: buyers.length > 0 ? buyers : accountRefs,
      name: (account) => `${account.label} - ${random.pick(PRODUCTS)}`,
      amount: () => amount(random, 2_000, 250_000, 250),
    },
    {
      stages: context.renewalStages,
      count: renewalCount,
      accounts: customers.length > 0 ? customers : accountRefs,
      name: (account, closingDate) => `${account.label} - Renewal ${closingDate.slice(0, 4)}`,
      amount: () => amount(random, 5_000, 120_000, 500),
    },
  ];
  const result: DemoDeals = { deals: [], dealRefs: [], timeline: [], stageHistory: [] };
  for (const plan of plans) {
    const first = plan.stages[0];
    if (!first) throw new Error('a demo pipeline has no stages');
    for (const stage of stagesFor(context, plan.stages, plan.count)) {
      const account = random.pick(plan.accounts);
      const contact = account.contacts.length > 0 && random.chance(0.9) ? random.pick(account.contacts) : null;
      const ownerId = random.chance(0.7) ? account.ownerId : pickOwner(context);
      const createdById = pickCreator(context, ownerId);
      const { createdAt, closingDate, movedAt } = dates(context, account, stage);
      const moved = stage.id !== first.id;
      const closing = isoDate(closingDate);
      const id = newRowId();
      const name = plan.name(account, closing);
      result.deals.push({
        organizationId,
        id,
        name,
        amount: plan.amount(),
        currency: 'USD',
        closingDate: closing,
        pipelineId: stage.pipelineId,
        stageId: stage.id,
        probability: stage.probability,
        accountId: account.id,
        contactId: contact?.id ?? null,
        leadSource: random.chance(0.7) ? random.pick(LEAD_SOURCES) : null,
        nextStep: stage.kind === 'OPEN' && random.chance(0.8) ? random.pick(NEXT_STEPS) : null,
        ownerId,
        createdById,
        createdAt,
        // A deal past its first stage was moved once, as `updateDeal` would have recorded it.
        version: moved ? 2 : 1,
        updatedAt: moved ? movedAt : createdAt,
        tags: tags(random, 0.2),
        stageEnteredAt: moved ? movedAt : createdAt,
        closedAt: stage.kind === 'OPEN' ? null : moved ? movedAt : createdAt,
      });
      result.stageHistory.push({ organizationId, id: newRowId(), dealId: id, fromStageId: null, toStageId: first.id, movedById: createdById, movedAt: createdAt, secondsInPreviousStage: null });
      if (moved) {
        result.stageHistory.push({
          organizationId,
          id: newRowId(),
          dealId: id,
          fromStageId: first.id,
          toStageId: stage.id,
          movedById: ownerId,
          movedAt,
          secondsInPreviousStage: Math.max(0, Math.round((movedAt.getTime() - createdAt.getTime()) / 1000)),
        });
      }
      const ref: RecordRef = { type: 'DEAL', id, ownerId, createdAt, label: name };
      result.dealRefs.push(ref);
      result.timeline.push(
        timelineEntry(context, ref, { kind: 'CREATED', actorId: createdById, at: createdAt, summary: `Deal created in stage ${first.name}`, data: { stageId: first.id } }),
      );
      if (moved) {
        const changes: FieldChange[] = [
          { field: 'stageId', oldValue: first.id, newValue: stage.id },
          { field: 'probability', oldValue: first.probability, newValue: stage.probability },
        ];
        result.timeline.push(timelineEntry(context, ref, { kind: 'UPDATED', actorId: ownerId, at: movedAt, summary: describeChanges(changes), data: { changes } }));
      }
    }
  }
  assignBoardKeys(result.deals);
  return result;
}
