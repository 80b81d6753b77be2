import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../db/database.js';
import { allMatch } from '../records/criteria.js';
import { territoryUsers } from '../territories/territories.table.js';
import { deepestTerritories, matchTerritories } from '../territories/territory-match.js';
import { accountTerritories, territoryTree } from '../territories/territory-placement.js';
import { users } from '../users/users.table.js';
import { assignmentRules, type AssignedModule, type AssignmentEntry, type AssignmentRuleRow } from './assignment.table.js';

export function activeAssignmentRules(tx: Db, organizationId: string, module: AssignedModule): Promise<AssignmentRuleRow[]> {
  return tx
    .select()
    .from(assignmentRules)
    .where(and(eq(assignmentRules.organizationId, organizationId), eq(assignmentRules.module, module), eq(assignmentRules.active, true)))
    .orderBy(asc(assignmentRules.createdAt), asc(assignmentRules.id));
}

/** Takes the next turn of a rotation: 0, 1, 2... across processes, restarts and concurrent creates. */
async function takeTurn(tx: Db, organizationId: string, ruleId: string, slot: string): Promise<number> {
  const [row] = rowsOf<{ taken: number | string }>(
    await tx.execute(sql`
      insert into assignment_turns (organization_id, rule_id, slot, taken) values (${organizationId}, ${ruleId}, ${slot}, 1)
      on conflict (organization_id, rule_id, slot) do update set taken = assignment_turns.taken + 1
      returning taken`),
  );
  return Number(row?.taken ?? 1) - 1;
}

/**
 * The next turn of a rotation and its active users (in the given order), in one statement: the
 * write path of every create pays one round trip for it. A turn taken while nobody is active is
 * simply skipped.
 */
async function turnAmong(tx: Db, organizationId: string, ruleId: string, slot: string, ids: readonly string[]): Promise<{ turn: number; rotation: string[] }> {
  if (ids.length === 0) return { turn: 0, rotation: [] };
  const [row] = rowsOf<{ taken: number | string; active: string[] | null }>(
    await tx.execute(sql`
      with turn as (
        insert into assignment_turns (organization_id, rule_id, slot, taken) values (${organizationId}, ${ruleId}, ${slot}, 1)
        on conflict (organization_id, rule_id, slot) do update set taken = assignment_turns.taken + 1
        returning taken)
      select turn.taken, array(select u.id::text from users u where u.organization_id = ${organizationId}
        and u.id in (${sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)}) and u.active) as active
      from turn`),
  );
  const active = new Set(row?.active ?? []);
  return { turn: Number(row?.taken ?? 1) - 1, rotation: ids.filter((id) => active.has(id)) };
}

/** The active users among `ids`, in the given order (a deactivated user drops out of rotations). */
async function activeUsers(tx: Db, organizationId: string, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.organizationId, organizationId), inArray(users.id, [...ids]), eq(users.active, true)));
  const active = new Set(rows.map((row) => row.id));
  return ids.filter((id) => active.has(id));
}

/** The territory a new record sits in: an account or lead by its fields, a contact or deal by its account. */
async function territoryOf(tx: Db, organizationId: string, module: AssignedModule, values: Readonly<Record<string, unknown>>): Promise<string | null> {
  const tree = await territoryTree(tx, organizationId);
  if (tree.length === 0) return null;
  const matched =
    module === 'contacts' || module === 'deals' ? await accountTerritories(tx, organizationId, values['accountId'] as string | null | undefined) : matchTerritories(tree, values);
  return deepestTerritories(tree, matched)[0] ?? null;
}

async function ownerFromEntry(tx: Db, organizationId: string, rule: AssignmentRuleRow, entry: AssignmentEntry, values: Readonly<Record<string, unknown>>): Promise<string | null> {
  switch (entry.strategy) {
    case 'USER':
      return (await activeUsers(tx, organizationId, entry.userIds))[0] ?? null;
    case 'ROUND_ROBIN': {
      const { turn, rotation } = await turnAmong(tx, organizationId, rule.id, entry.id, entry.userIds);
      return rotation.length === 0 ? null : (rotation[turn % rotation.length] ?? null);
    }
    case 'TERRITORY': {
      const territoryId = await territoryOf(tx, organizationId, rule.module, values);
      if (!territoryId) return null;
      const members = await tx
        .select({ userId: territoryUsers.userId })
        .from(territoryUsers)
        .where(and(eq(territoryUsers.organizationId, organizationId), eq(territoryUsers.territoryId, territoryId)))
        .orderBy(asc(territoryUsers.userId));
      const rotation = await activeUsers(tx, organizationId, members.map((member) => member.userId));
      if (rotation.length === 0) return null;
      return rotation[(await takeTurn(tx, organizationId, rule.id, `${entry.id}:${territoryId}`)) % rotation.length] ?? null;
    }
    default: {
      const unreachable: never = entry.strategy;
      return unreachable;
    }
  }
}

/**
 * The owner the module's active rules give a new record, or null to keep the default (the
 * creator). Rules are tried oldest first; in a rule, the first entry whose criteria hold and that
 * yields an active user decides, else the rule's fallback owner.
 */
export async function assignOwner(
  tx: Db,
  organizationId: string,
  module: AssignedModule,
  values: Readonly<Record<string, unknown>>,
  rules?: readonly AssignmentRuleRow[],
): Promise<string | null> {
  for (const rule of rules ?? (await activeAssignmentRules(tx, organizationId, module))) {
    for (const entry of rule.entries) {
      if (!allMatch(entry.criteria, values)) continue;
      const owner = await ownerFromEntry(tx, organizationId, rule, entry, values);
      if (owner) return owner;
    }
    if (rule.fallbackOwnerId) {
      const [fallback] = await activeUsers(tx, organizationId, [rule.fallbackOwnerId]);
      if (fallback) return fallback;
    }
  }
  return null;
}
