import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { arrayLiteral } from '../../db/any-of.js';
import type { Db } from '../../db/database.js';
import { accounts } from '../accounts/accounts.table.js';
import { contacts } from '../contacts/contacts.table.js';
import { deals } from '../deals/deals.table.js';
import { territories, type TerritoryRow } from './territories.table.js';
import { matchTerritories } from './territory-match.js';

/**
 * Keeps records in their territories: accounts by their fields, contacts and deals by their
 * account. Written directly (no version bump, no timeline entry): territory membership is
 * derived data the territories module owns, like a search index.
 */

export function territoryTree(tx: Db, organizationId: string): Promise<TerritoryRow[]> {
  return tx.select().from(territories).where(eq(territories.organizationId, organizationId)).orderBy(asc(territories.createdAt), asc(territories.id));
}

const sameIds = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && [...a].sort().every((id, index) => id === [...b].sort()[index]);

/** The territories of an account (by id), for a contact or deal being attached to it. */
export async function accountTerritories(tx: Db, organizationId: string, accountId: string | null | undefined): Promise<string[]> {
  if (!accountId) return [];
  const [row] = await tx
    .select({ territoryIds: accounts.territoryIds })
    .from(accounts)
    .where(and(eq(accounts.organizationId, organizationId), eq(accounts.id, accountId)));
  return row?.territoryIds ?? [];
}

/** Copies accounts' territories to their contacts and deals (all of the organisation's, or these accounts'). */
export async function cascadeToChildren(tx: Db, organizationId: string, accountIds?: readonly string[]): Promise<void> {
  for (const child of [contacts, deals]) {
    await tx.execute(sql`
      update ${child} set territory_ids = a.territory_ids from ${accounts} a
      where ${child.organizationId} = ${organizationId} and a.organization_id = ${organizationId} and a.id = ${child.accountId}
        ${accountIds ? sql`and a.id in (${sql.join(accountIds.map((id) => sql`${id}::uuid`), sql`, `)})` : sql``}
        and ${child.territoryIds} is distinct from a.territory_ids`);
  }
}

/** Re-places one account after a change, and its contacts and deals with it. */
export async function placeAccount(tx: Db, organizationId: string, account: Readonly<Record<string, unknown>> & { id: string; territoryIds: string[] }): Promise<void> {
  const tree = await territoryTree(tx, organizationId);
  const ids = matchTerritories(tree, account);
  if (sameIds(ids, account.territoryIds)) return;
  await tx.update(accounts).set({ territoryIds: ids }).where(and(eq(accounts.organizationId, organizationId), eq(accounts.id, account.id)));
  await cascadeToChildren(tx, organizationId, [account.id]);
}

const PAGE = 500;

/**
 * Re-places every account of the organisation after the territories changed, page by page in
 * the caller's transaction (a territory change is rare; the admin waits for it, and it is atomic).
 */
export async function placeAllAccounts(tx: Db, organizationId: string): Promise<number> {
  const tree = await territoryTree(tx, organizationId);
  let afterId: string | null = null;
  let moved = 0;
  for (;;) {
    const page: (typeof accounts.$inferSelect)[] = await tx
      .select()
      .from(accounts)
      .where(and(eq(accounts.organizationId, organizationId), afterId ? gt(accounts.id, afterId) : undefined))
      .orderBy(asc(accounts.id))
      .limit(PAGE);
    const changed = page.flatMap((account) => {
      const ids = matchTerritories(tree, account);
      return sameIds(ids, account.territoryIds) ? [] : [{ id: account.id, ids }];
    });
    if (changed.length > 0) {
      const values = sql.join(
        changed.map((change) => sql`(${change.id}::uuid, ${arrayLiteral(change.ids)}::uuid[])`),
        sql`, `,
      );
      await tx.execute(sql`update ${accounts} set territory_ids = v.ids from (values ${values}) as v(id, ids)
        where ${accounts.organizationId} = ${organizationId} and ${accounts.id} = v.id`);
      moved += changed.length;
    }
    const last = page[page.length - 1];
    if (page.length < PAGE || !last) break;
    afterId = last.id;
  }
  await cascadeToChildren(tx, organizationId);
  return moved;
}


/** A contact or deal that changed account takes the new account's territories. */
export async function placeChild(tx: Db, organizationId: string, module: 'contacts' | 'deals', id: string, accountId: string | null): Promise<void> {
  const table = module === 'contacts' ? contacts : deals;
  const ids = await accountTerritories(tx, organizationId, accountId);
  await tx.update(table).set({ territoryIds: ids }).where(and(eq(table.organizationId, organizationId), eq(table.id, id)));
}
