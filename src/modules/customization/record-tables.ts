import { accounts } from '../accounts/accounts.table.js';
import { activities } from '../activities/activities.table.js';
import { contacts } from '../contacts/contacts.table.js';
import { deals } from '../deals/deals.table.js';
import { leads } from '../leads/leads.table.js';
import type { CustomizableModule } from './standard-fields.js';

/**
 * The record tables, for the set-based changes an organisation-wide setting makes (a deleted
 * field's JSON key, a renamed picklist value). Record writes still go through each module's service.
 */
const TABLES = { leads, contacts, accounts, deals, activities } as const;

export const recordTableOf = (module: CustomizableModule): (typeof TABLES)[CustomizableModule] => TABLES[module];
