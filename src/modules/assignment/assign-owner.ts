import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../db/database.js';
import { isOpenTransaction, writeBehind } from '../../db/transaction.js';
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

/**
 * Turns taken so far by a transaction, per rotation (rule and slot). Its first turn locks the
 * rotation's row until it ends, so nobody else moves it meanwhile: its next batches (an import's)
 * know their turns without asking, and write them behind (`writeBehind`).
 */
const takenIn = new WeakMap<Db, Map<string, number>>();

/** Takes the next `count` turns of a rotation: the first of them (0, 1, 2...) across processes, restarts and concurrent creates. */
async function takeTurns(tx: Db, organizationId: string, ruleId: string, slot: string, count: number): Promise<number> {
  const take = sql`
      insert into assignment_turns (organization_id, rule_id, slot, taken) values (${organizationId}, ${ruleId}, ${slot}, ${count})
      on conflict (organization_id, rule_id, slot) do update set taken = assignment_turns.taken + ${count}
      returning taken`;
  const key = `${ruleId}\u0000${slot}`;
  const taken = isOpenTransaction(tx) ? takenIn.get(tx) : undefined;
  const known = taken?.get(key);
  if (taken && known !== undefined) {
    const expected = known + count;
    taken.set(key, expected);
    await writeBehind(tx, () => [
      tx.execute(take).then((result) => {
        // The row is this transaction's, but a savepoint of it may have taken turns too (none does
        // today): then the next batch asks again. Its turns may repeat the savepoint's, nothing worse.
        if (Number(rowsOf<{ taken: number | string }>(result)[0]?.taken) !== expected) taken.delete(key);
      }),
    ]);
    return known;
  }
  const [row] = rowsOf<{ taken: number | string }>(await tx.execute(take));
  const now = Number(row?.taken ?? count);
  if (isOpenTransaction(tx)) {
    const map = takenIn.get(tx) ?? new Map<string, number>();
    map.set(key, now);
    takenIn.set(tx, map);
  }
  return now - count;
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

/** What deciding owners reads, each read once per batch of records (the same in one transaction). */
interface Reads {
  activeUsers(ids: readonly string[]): Promise<string[]>;
  tree(): Promise<Awaited<ReturnType<typeof territoryTree>>>;
  accountTerritories(accountId: string | null | undefined): Promise<string[]>;
  members(territoryId: string): Promise<string[]>;
}

/** The organisation's active users, where the caller keeps them (see `assignOwners`). */
export type ActiveUsers = () => Promise<ReadonlySet<string>>;

/** Every active user of the organisation: what a cached `ActiveUsers` loads. */
export async function activeUserIds(tx: Db, organizationId: string): Promise<ReadonlySet<string>> {
  const rows = await tx.select({ id: users.id }).from(users).where(and(eq(users.organizationId, organizationId), eq(users.active, true)));
  return new Set(rows.map((row) => row.id));
}

function readsOnce(tx: Db, organizationId: string, active?: ActiveUsers): Reads {
  const cache = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    let value = cache.get(key);
    if (!value) {
      value = load();
      cache.set(key, value);
    }
    return value as Promise<T>;
  };
  return {
    activeUsers: (ids) =>
      active
        ? active().then((known) => ids.filter((id) => known.has(id)))
        : once(`users:${ids.join(',')}`, () => activeUsers(tx, organizationId, ids)),
    tree: () => once('tree', () => territoryTree(tx, organizationId)),
    accountTerritories: (accountId) => once(`account:${accountId ?? ''}`, () => accountTerritories(tx, organizationId, accountId)),
    members: (territoryId) =>
      once(`members:${territoryId}`, async () =>
        (
          await tx
            .select({ userId: territoryUsers.userId })
            .from(territoryUsers)
            .where(and(eq(territoryUsers.organizationId, organizationId), eq(territoryUsers.territoryId, territoryId)))
            .orderBy(asc(territoryUsers.userId))
        ).map((member) => member.userId),
      ),
  };
}

/** The territory a new record sits in: an account or lead by its fields, a contact or deal by its account. */
async function territoryOf(reads: Reads, module: AssignedModule, values: Readonly<Record<string, unknown>>): Promise<string | null> {
  const tree = await reads.tree();
  if (tree.length === 0) return null;
  const matched = module === 'contacts' || module === 'deals' ? await reads.accountTerritories(values['accountId'] as string | null | undefined) : matchTerritories(tree, values);
  return deepestTerritories(tree, matched)[0] ?? null;
}

/** An entry's pick: an owner, or a rotation whose next turn decides (turns are taken in order, a batch at a time). */
type Pick = { readonly owner: string } | { readonly rotation: readonly string[]; readonly ruleId: string; readonly slot: string };

async function pickFromEntry(reads: Reads, rule: AssignmentRuleRow, entry: AssignmentEntry, values: Readonly<Record<string, unknown>>): Promise<Pick | null> {
  switch (entry.strategy) {
    case 'USER': {
      const [owner] = await reads.activeUsers(entry.userIds);
      return owner ? { owner } : null;
    }
    case 'ROUND_ROBIN': {
      const rotation = await reads.activeUsers(entry.userIds);
      return rotation.length === 0 ? null : { rotation, ruleId: rule.id, slot: entry.id };
    }
    case 'TERRITORY': {
      const territoryId = await territoryOf(reads, rule.module, values);
      if (!territoryId) return null;
      const rotation = await reads.activeUsers(await reads.members(territoryId));
      return rotation.length === 0 ? null : { rotation, ruleId: rule.id, slot: `${entry.id}:${territoryId}` };
    }
    default: {
      const unreachable: never = entry.strategy;
      return unreachable;
    }
  }
}

/**
 * Rules are tried oldest first; in a rule, the first entry whose criteria hold and that yields an
 * active user decides, else the rule's fallback owner.
 */
async function pickFor(reads: Reads, rules: readonly AssignmentRuleRow[], values: Readonly<Record<string, unknown>>): Promise<Pick | null> {
  for (const rule of rules) {
    for (const entry of rule.entries) {
      if (!allMatch(entry.criteria, values)) continue;
      const pick = await pickFromEntry(reads, rule, entry, values);
      if (pick) return pick;
    }
    if (rule.fallbackOwnerId) {
      const [fallback] = await reads.activeUsers([rule.fallbackOwnerId]);
      if (fallback) return { owner: fallback };
    }
  }
  return null;
}

/**
 * The owners the module's active rules give new records, in order, or null to keep the default
 * (the creator). Many records (an import) cost the reads of one, and one statement per rotation
 * for their turns: record n of a rotation gets the turn after record n-1's. `active` gives the
 * organisation's active users when the caller keeps them (the rule cache: adding or deactivating
 * a user moves the automation version); without it they are read.
 */
export async function assignOwners(
  tx: Db,
  organizationId: string,
  module: AssignedModule,
  valuesList: readonly Readonly<Record<string, unknown>>[],
  cached?: readonly AssignmentRuleRow[],
  active?: ActiveUsers,
): Promise<(string | null)[]> {
  const rules = cached ?? (await activeAssignmentRules(tx, organizationId, module));
  if (rules.length === 0) return valuesList.map(() => null);
  const reads = readsOnce(tx, organizationId, active);
  const picks: (Pick | null)[] = [];
  for (const values of valuesList) picks.push(await pickFor(reads, rules, values));
  const rotations = new Map<string, { ruleId: string; slot: string; count: number; next: number }>();
  for (const pick of picks) {
    if (!pick || 'owner' in pick) continue;
    const key = `${pick.ruleId}\u0000${pick.slot}`;
    const entry = rotations.get(key) ?? { ruleId: pick.ruleId, slot: pick.slot, count: 0, next: 0 };
    entry.count += 1;
    rotations.set(key, entry);
  }
  for (const entry of rotations.values()) entry.next = await takeTurns(tx, organizationId, entry.ruleId, entry.slot, entry.count);
  return picks.map((pick) => {
    if (!pick) return null;
    if ('owner' in pick) return pick.owner;
    const rotation = rotations.get(`${pick.ruleId}\u0000${pick.slot}`);
    if (!rotation) return null;
    const turn = rotation.next;
    rotation.next += 1;
    return pick.rotation[turn % pick.rotation.length] ?? null;
  });
}

/** The owner the module's active rules give one new record, or null to keep the default (the creator). */
export async function assignOwner(
  tx: Db,
  organizationId: string,
  module: AssignedModule,
  values: Readonly<Record<string, unknown>>,
  rules?: readonly AssignmentRuleRow[],
  active?: ActiveUsers,
): Promise<string | null> {
  const [owner] = await assignOwners(tx, organizationId, module, [values], rules, active);
  return owner ?? null;
}
