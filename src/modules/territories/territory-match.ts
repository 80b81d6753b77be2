import type { PgTable } from 'drizzle-orm/pg-core';
import { accounts } from '../accounts/accounts.table.js';
import { allMatch, tableCatalog } from '../records/criteria.js';
import type { TerritoryRow } from './territories.table.js';

/** Territory criteria test account fields (country, state, industry, employees, annualRevenue...). */
export const ACCOUNT_FIELDS = tableCatalog(accounts as PgTable);

/**
 * Every territory a record with these field values belongs to: a territory counts when its own
 * criteria and its ancestors' hold (a child narrows its parent). Ancestors are included.
 */
export function matchTerritories(tree: readonly TerritoryRow[], values: Readonly<Record<string, unknown>>): string[] {
  const children = new Map<string | null, TerritoryRow[]>();
  for (const territory of tree) children.set(territory.parentId, [...(children.get(territory.parentId) ?? []), territory]);
  const matched: string[] = [];
  const visit = (parentId: string | null): void => {
    for (const territory of children.get(parentId) ?? []) {
      if (!allMatch(territory.criteria, values)) continue;
      matched.push(territory.id);
      visit(territory.id);
    }
  };
  visit(null);
  return matched.sort();
}

/** The deepest matched territories (those with no matched child): where a record really sits. */
export function deepestTerritories(tree: readonly TerritoryRow[], matched: readonly string[]): string[] {
  const set = new Set(matched);
  const parents = new Set(tree.filter((territory) => set.has(territory.id) && territory.parentId).map((territory) => territory.parentId));
  return matched.filter((id) => !parents.has(id));
}
