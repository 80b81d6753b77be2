import { arrayContains, eq, gte, ilike, inArray, lte, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import type { CreateDealInput, DealOrderField, QueryDealsArgs, UpdateDealInput } from '../../generated/graphql.js';
import type { Connection, SortKey } from '../../shared/pagination.js';
import { money } from '../../shared/validation.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { ACCOUNT } from '../accounts/accounts.kind.js';
import { CONTACT } from '../contacts/contacts.kind.js';
import { resolveStage } from '../pipelines/pipelines.service.js';
import { stages } from '../pipelines/pipelines.table.js';
import { normaliseFields, rules, type FieldRules } from '../records/field-rules.js';
import { commonConditions, containsPattern, listRecords } from '../records/record-list.js';
import { ownerFor } from '../records/record-owner.js';
import { scoreListing } from '../scoring/score-sql.js';
import { assertReference, insertRecord, lockForUpdate, saveChanges, setDeleted } from '../records/record-store.js';
import type { WriteSource } from '../records/record-hooks.js';
import { rankAtEnd } from './board-rank.js';
import { applyMove, stageEntryValues } from './deal-moves.service.js';
import { DEAL } from './deals.kind.js';
import { publishDealEvent } from './deals.events.js';
import { recordStageEntry } from './stage-history.service.js';
import { deals, type DealRow } from './deals.table.js';
import { inTransaction } from '../../db/transaction.js';
import { syncCustomFieldValues, validateRecordWrite } from '../customization/record-validation.js';
import { customListParts, standardOrder } from '../customization/custom-field-list.js';

/** How each editable field is validated (workflow field updates use the same rules). */
export const FIELDS: FieldRules = {
  name: rules.required(200),
  amount: rules.money,
  currency: rules.currency,
  closingDate: rules.passthrough(),
  probability: rules.percentage,
  // Checked against the organisation's own list by validateRecordWrite.
  leadSource: rules.text(255),
  nextStep: rules.text(500),
  description: rules.text(32_000),
  tags: rules.tags(),
};

async function checkReferences(tx: Db, viewer: Viewer, input: { accountId?: string | null | undefined; contactId?: string | null | undefined }) {
  if (input.accountId) await assertReference(tx, viewer, ACCOUNT, input.accountId, 'accountId');
  if (input.contactId) await assertReference(tx, viewer, CONTACT, input.contactId, 'contactId');
}

/** The validated, normalised fields of a new deal: the one check the API and imports share. */
export function dealValues(viewer: Viewer, input: CreateDealInput): Record<string, unknown> {
  return normaliseFields(FIELDS, input, viewer, 'create');
}

/** Creates a deal inside the caller's transaction (used by lead conversion and imports too). */
export async function insertDeal(
  tx: Db,
  viewer: Viewer,
  input: CreateDealInput,
  timelineData: Record<string, unknown> = {},
  inheritedFrom?: object,
  source: WriteSource = 'user',
): Promise<DealRow> {
  const checked = await validateRecordWrite(tx, viewer, 'deals', { values: dealValues(viewer, input), customFields: input.customFields, inheritedFrom });
  const values = checked.values;
  const stage = await resolveStage(tx, viewer, input.pipelineId, input.stageId);
  await checkReferences(tx, viewer, input);
  const owner = await ownerFor(tx, viewer, input.ownerId, 'create');
  const at = new Date();
  const deal = await insertRecord(
    tx,
    viewer,
    DEAL,
    {
      ...values,
      ...owner,
      ...stageEntryValues(stage, at, (values['probability'] as number | null | undefined) ?? null),
      currency: values['currency'] ?? viewer.currency,
      pipelineId: stage.pipelineId,
      boardRank: await rankAtEnd(tx, viewer, stage.id),
      accountId: input.accountId ?? null,
      contactId: input.contactId ?? null,
      customFields: checked.customFields ?? {},
    },
    `Deal created in stage ${stage.name}`,
    { stageId: stage.id, ...timelineData },
    source,
  );
  await syncCustomFieldValues(tx, viewer, checked.config, deal.id, {}, deal.customFields);
  await recordStageEntry(tx, viewer, deal, null, at);
  publishDealEvent(tx, viewer, 'CREATED', deal);
  return deal;
}

export const createDeal = (s: Session, input: CreateDealInput): Promise<DealRow> => inTransaction(s.db, (tx) => insertDeal(tx, s.viewer, input));

export async function updateDeal(s: Session, input: UpdateDealInput): Promise<DealRow> {
  const values: Record<string, unknown> = normaliseFields(FIELDS, input, s.viewer, 'update');
  if (input.currency === null) delete values['currency'];
  return inTransaction(s.db, async (tx) => {
    const row = await lockForUpdate(tx, s.viewer, DEAL, input.id, input.expectedVersion);
    const checked = await validateRecordWrite(tx, s.viewer, 'deals', { values, customFields: input.customFields }, { row, customFields: row.customFields });
    await checkReferences(tx, s.viewer, input);
    const owner = await ownerFor(tx, s.viewer, input.ownerId, 'update');
    const links = {
      ...(input.accountId === undefined ? {} : { accountId: input.accountId }),
      ...(input.contactId === undefined ? {} : { contactId: input.contactId }),
    };
    const changes = { ...checked.values, ...owner, ...links, customFields: checked.customFields };
    if (input.stageId && input.stageId !== row.stageId) {
      // A stage change through updateDeal is a move to the bottom of the new column.
      const stage = await resolveStage(tx, s.viewer, row.pipelineId, input.stageId);
      const moved = await applyMove(tx, s.viewer, row, stage, await rankAtEnd(tx, s.viewer, stage.id), changes);
      await syncCustomFieldValues(tx, s.viewer, checked.config, row.id, row.customFields, moved.customFields);
      return moved;
    }
    const { row: updated, changes: changed } = await saveChanges(tx, s.viewer, DEAL, row, changes);
    await syncCustomFieldValues(tx, s.viewer, checked.config, row.id, row.customFields, updated.customFields);
    if (changed.length > 0) publishDealEvent(tx, s.viewer, 'UPDATED', updated);
    return updated;
  });
}

async function setDealDeleted(s: Session, id: string, deleted: boolean): Promise<DealRow> {
  return inTransaction(s.db, async (tx) => {
    const row = await setDeleted(tx, s.viewer, DEAL, id, deleted);
    publishDealEvent(tx, s.viewer, deleted ? 'DELETED' : 'RESTORED', row);
    return row;
  });
}

export const deleteDeal = (s: Session, id: string): Promise<DealRow> => setDealDeleted(s, id, true);
export const restoreDeal = (s: Session, id: string): Promise<DealRow> => setDealDeleted(s, id, false);

const SORTS: Record<Exclude<DealOrderField, 'CUSTOM_FIELD' | 'SCORE'>, { key: Omit<SortKey, 'direction'>; value: (row: DealRow) => unknown }> = {
  CREATED_AT: { key: { column: deals.createdAt, nullable: false, decode: (v) => new Date(v) }, value: (row) => row.createdAt },
  UPDATED_AT: { key: { column: deals.updatedAt, nullable: false, decode: (v) => new Date(v) }, value: (row) => row.updatedAt },
  NAME: { key: { column: deals.name, nullable: false }, value: (row) => row.name },
  AMOUNT: { key: { column: deals.amount, nullable: true }, value: (row) => row.amount },
  CLOSING_DATE: { key: { column: deals.closingDate, nullable: true }, value: (row) => row.closingDate },
  PROBABILITY: { key: { column: deals.probability, nullable: false, decode: Number }, value: (row) => row.probability },
};

/** The filter conditions of a deal list, shared with the board and reports. */
export function dealConditions(filter: QueryDealsArgs['filter']): (SQL | undefined)[] {
  const conditions: (SQL | undefined)[] = commonConditions(deals, filter);
  if (!filter) return conditions;
  if (filter.pipelineId) conditions.push(eq(deals.pipelineId, filter.pipelineId));
  if (filter.stageId) conditions.push(eq(deals.stageId, filter.stageId));
  if (filter.stageIds) conditions.push(inArray(deals.stageId, [...filter.stageIds]));
  if (filter.stageKind) {
    conditions.push(
      sql`exists (select 1 from ${stages} where ${stages.organizationId} = ${deals.organizationId} and ${stages.id} = ${deals.stageId} and ${stages.kind} = ${filter.stageKind})`,
    );
  }
  if (filter.accountId) conditions.push(eq(deals.accountId, filter.accountId));
  if (filter.territoryId) conditions.push(arrayContains(deals.territoryIds, [filter.territoryId]));
  if (filter.contactId) conditions.push(eq(deals.contactId, filter.contactId));
  if (filter.leadSource) conditions.push(inArray(deals.leadSource, [...filter.leadSource]));
  if (filter.amountMin != null) conditions.push(gte(deals.amount, money('amountMin', filter.amountMin, { allowNegative: true })));
  if (filter.amountMax != null) conditions.push(lte(deals.amount, money('amountMax', filter.amountMax, { allowNegative: true })));
  if (filter.closingFrom) conditions.push(gte(deals.closingDate, filter.closingFrom));
  if (filter.closingTo) conditions.push(lte(deals.closingDate, filter.closingTo));
  if (filter.search && filter.search.trim() !== '') conditions.push(ilike(deals.name, containsPattern(filter.search)));
  return conditions;
}

export async function listDeals(s: Session, args: QueryDealsArgs): Promise<Connection<DealRow>> {
  const custom = await customListParts(s.db, s.viewer, 'deals', deals, args.filter?.customFields, args.orderBy);
  const field = standardOrder(args.orderBy);
  const scoring = await scoreListing(s.db, s.viewer, 'deals', args.filter, field === 'SCORE');
  const sort = custom.sort ?? scoring.sort ?? SORTS[field === 'SCORE' ? 'CREATED_AT' : field];
  return listRecords(s.db, s.viewer, 'deals', deals, {
    conditions: [...dealConditions(args.filter), ...custom.conditions, ...scoring.conditions],
    sort: { ...sort.key, direction: args.orderBy?.direction ?? 'DESC' },
    sortValue: sort.value,
    first: args.first,
    after: args.after,
  });
}

/** amount x probability / 100, exact to the cent (decimal strings, no floats). */
export function weightedAmount(amount: string | null, probability: number): string | null {
  if (amount === null) return null;
  const negative = amount.startsWith('-');
  const [whole = '0', fraction = ''] = amount.replace('-', '').split('.');
  const cents = BigInt(whole) * 100n + BigInt((fraction + '00').slice(0, 2));
  // cents x probability / 100, rounded half up, still in cents.
  const weighted = (cents * BigInt(probability) + 50n) / 100n;
  const text = `${weighted / 100n}.${String(weighted % 100n).padStart(2, '0')}`;
  return negative && weighted !== 0n ? `-${text}` : text;
}
