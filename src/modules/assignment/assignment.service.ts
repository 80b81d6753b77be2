import { newRowId } from '../../db/row-id.js';
import type { PgTable } from 'drizzle-orm/pg-core';
import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { automationChanged } from '../organizations/automation-version.js';
import type { AssignmentEntryInput, AssignmentModule, CreateAssignmentRuleInput, UpdateAssignmentRuleInput } from '../../generated/graphql.js';
import { badInput, notFound } from '../../shared/errors.js';
import { requiredText } from '../../shared/validation.js';
import { accounts } from '../accounts/accounts.table.js';
import { assertManages } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { validateCriterion } from '../records/criteria.js';
import { recordCatalog } from '../records/criteria-catalog.js';
import { SCORED } from '../scoring/scored-modules.js';
import { assertAssignableOwner } from '../users/users.service.js';
import { assignmentRules, assignmentTurns, type AssignedModule, type AssignmentEntry, type AssignmentRuleRow } from './assignment.table.js';

const TABLES: Record<AssignedModule, PgTable> = {
  leads: SCORED.leads.table as PgTable,
  contacts: SCORED.contacts.table as PgTable,
  deals: SCORED.deals.table as PgTable,
  accounts: accounts as PgTable,
};

const moduleOf = (module: AssignmentModule): AssignedModule => module.toLowerCase() as AssignedModule;

async function entriesOf(tx: Db, viewer: Viewer, module: AssignedModule, input: readonly AssignmentEntryInput[]): Promise<AssignmentEntry[]> {
  if (input.length > 50) throw badInput('entries', 'At most 50 entries per rule');
  const entries: AssignmentEntry[] = [];
  const catalog = await recordCatalog(tx, viewer.organizationId, module, TABLES[module]);
  for (const [index, entry] of input.entries()) {
    const userIds = [...(entry.userIds ?? [])];
    if (new Set(userIds).size !== userIds.length) throw badInput(`entries.${index}.userIds`, 'A user appears once per entry');
    if (entry.strategy === 'USER' && userIds.length !== 1) throw badInput(`entries.${index}.userIds`, 'USER assigns to exactly one user');
    if (entry.strategy === 'ROUND_ROBIN' && userIds.length < 1) throw badInput(`entries.${index}.userIds`, 'ROUND_ROBIN needs at least one user');
    if (entry.strategy === 'TERRITORY' && userIds.length > 0) throw badInput(`entries.${index}.userIds`, "TERRITORY takes the territory's users; list none");
    for (const [at, userId] of userIds.entries()) await assertAssignableOwner(tx, viewer, userId, `entries.${index}.userIds.${at}`);
    entries.push({
      id: newRowId(),
      criteria: (entry.criteria ?? []).map((criterion, at) => validateCriterion(catalog, criterion, `entries.${index}.criteria.${at}`)),
      strategy: entry.strategy,
      userIds,
    });
  }
  return entries;
}

async function fallbackOf(tx: Db, viewer: Viewer, id: string | null | undefined): Promise<string | null> {
  return id ? assertAssignableOwner(tx, viewer, id, 'fallbackOwnerId') : null;
}

export async function createAssignmentRule(s: Session, input: CreateAssignmentRuleInput): Promise<AssignmentRuleRow> {
  assertManages(s.viewer, 'rules');
  const module = moduleOf(input.module);
  const name = requiredText('name', input.name, 120);
  return inTransaction(s.db, async (tx) => {
    await automationChanged(tx, s.viewer.organizationId);
    const entries = await entriesOf(tx, s.viewer, module, input.entries);
    const fallbackOwnerId = await fallbackOf(tx, s.viewer, input.fallbackOwnerId);
    if (entries.length === 0 && !fallbackOwnerId) throw badInput('entries', 'A rule needs entries or a fallback owner');
    const [row] = await tx
      .insert(assignmentRules)
      .values({ organizationId: s.viewer.organizationId, id: newRowId(), module, name, active: input.active ?? true, entries, fallbackOwnerId })
      .returning();
    if (!row) throw new Error('insert returned no assignment rule');
    return row;
  });
}

async function lockRule(tx: Db, viewer: Viewer, id: string): Promise<AssignmentRuleRow> {
  const [row] = await tx
    .select()
    .from(assignmentRules)
    .where(and(eq(assignmentRules.organizationId, viewer.organizationId), eq(assignmentRules.id, id)))
    .for('update');
  if (!row) throw notFound('Assignment rule');
  return row;
}

export async function updateAssignmentRule(s: Session, input: UpdateAssignmentRuleInput): Promise<AssignmentRuleRow> {
  assertManages(s.viewer, 'rules');
  return inTransaction(s.db, async (tx) => {
    await automationChanged(tx, s.viewer.organizationId);
    const row = await lockRule(tx, s.viewer, input.id);
    const changes: Partial<AssignmentRuleRow> = { updatedAt: new Date() };
    if (input.name != null) changes.name = requiredText('name', input.name, 120);
    if (input.active != null) changes.active = input.active;
    if (input.fallbackOwnerId !== undefined) changes.fallbackOwnerId = await fallbackOf(tx, s.viewer, input.fallbackOwnerId);
    if (input.entries != null) {
      changes.entries = await entriesOf(tx, s.viewer, row.module, input.entries);
      await tx.delete(assignmentTurns).where(and(eq(assignmentTurns.organizationId, s.viewer.organizationId), eq(assignmentTurns.ruleId, row.id)));
    }
    // The same rule as on create: a rule must be able to assign someone.
    const entries = changes.entries ?? row.entries;
    const fallbackOwnerId = changes.fallbackOwnerId === undefined ? row.fallbackOwnerId : changes.fallbackOwnerId;
    if (entries.length === 0 && !fallbackOwnerId) throw badInput(input.entries != null ? 'entries' : 'fallbackOwnerId', 'A rule needs entries or a fallback owner');
    const [updated] = await tx
      .update(assignmentRules)
      .set(changes)
      .where(and(eq(assignmentRules.organizationId, s.viewer.organizationId), eq(assignmentRules.id, row.id)))
      .returning();
    if (!updated) throw notFound('Assignment rule');
    return updated;
  });
}

export async function deleteAssignmentRule(s: Session, id: string): Promise<AssignmentRuleRow> {
  assertManages(s.viewer, 'rules');
  return inTransaction(s.db, async (tx) => {
    await automationChanged(tx, s.viewer.organizationId);
    const row = await lockRule(tx, s.viewer, id);
    await tx.delete(assignmentRules).where(and(eq(assignmentRules.organizationId, s.viewer.organizationId), eq(assignmentRules.id, row.id)));
    return row;
  });
}

export function listAssignmentRules(s: Session, module: AssignmentModule | null | undefined): Promise<AssignmentRuleRow[]> {
  assertManages(s.viewer, 'rules');
  return s.db
    .select()
    .from(assignmentRules)
    .where(and(eq(assignmentRules.organizationId, s.viewer.organizationId), module ? eq(assignmentRules.module, moduleOf(module)) : undefined))
    .orderBy(asc(assignmentRules.createdAt), asc(assignmentRules.id));
}
