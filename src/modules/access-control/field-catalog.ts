import type { PgTable } from 'drizzle-orm/pg-core';
import { accounts } from '../accounts/accounts.table.js';
import { activities } from '../activities/activities.table.js';
import { contacts } from '../contacts/contacts.table.js';
import { deals } from '../deals/deals.table.js';
import { leads } from '../leads/leads.table.js';
import type { SharedModule } from './permissions.js';
import { fieldColumns } from '../../db/columns.js';

const MODULE_TABLES: Record<SharedModule, PgTable> = { leads, contacts, accounts, deals, activities };

/** Keys and system columns: hiding them would break references, so they are never hideable. */
const SYSTEM_FIELDS = new Set(['deletedAt', 'createdById', 'tags']);

const catalog = new Map<string, readonly string[]>(
  Object.entries(MODULE_TABLES).map(([module, table]) => [
    module,
    Object.entries(fieldColumns(table))
      .filter(([name, column]) => !column.notNull && !name.endsWith('Id') && !SYSTEM_FIELDS.has(name))
      .map(([name]) => name)
      .sort(),
  ]),
);

/**
 * Fields a profile may hide or make read-only: a module's optional fields (a hidden field reads as
 * null, so only fields that may be null can be hidden), by their GraphQL and input name.
 */
export function securableFields(module: string): readonly string[] {
  return catalog.get(module) ?? [];
}

/**
 * The field a filter argument is about: `amountMin` -> amount, `closingFrom` -> closingDate,
 * `dueAfter` -> dueAt, `email` -> email; null when it names no securable field.
 */
export function fieldOfFilterKey(module: string, key: string): string | null {
  const fields = securableFields(module);
  const stem = key.replace(/(Min|Max|After|Before|From|To)$/, '');
  for (const candidate of [key, stem, `${stem}Date`, `${stem}At`]) if (fields.includes(candidate)) return candidate;
  return null;
}

/** The field an order-by enum value sorts on: ANNUAL_REVENUE -> annualRevenue. */
export const fieldOfOrderValue = (value: string): string => value.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
