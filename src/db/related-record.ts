import { foreignKey, uuid, type PgColumn } from 'drizzle-orm/pg-core';
import { accounts } from '../modules/accounts/accounts.table.js';
import { contacts } from '../modules/contacts/contacts.table.js';
import { deals } from '../modules/deals/deals.table.js';
import { leads } from '../modules/leads/leads.table.js';

/**
 * Activities and notes belong to exactly one lead, contact, account or deal. One nullable column
 * per kind (rather than a type + id pair) lets each carry a real, tenant-leading foreign key.
 */
export const relatedRecordColumns = () => ({
  leadId: uuid('lead_id'),
  contactId: uuid('contact_id'),
  accountId: uuid('account_id'),
  dealId: uuid('deal_id'),
});

interface RelatedColumns {
  organizationId: PgColumn;
  leadId: PgColumn;
  contactId: PgColumn;
  accountId: PgColumn;
  dealId: PgColumn;
}

export function relatedRecordKeys(name: string, t: RelatedColumns) {
  return [
    foreignKey({ name: `${name}_lead_fk`, columns: [t.organizationId, t.leadId], foreignColumns: [leads.organizationId, leads.id] }),
    foreignKey({
      name: `${name}_contact_fk`,
      columns: [t.organizationId, t.contactId],
      foreignColumns: [contacts.organizationId, contacts.id],
    }),
    foreignKey({
      name: `${name}_account_fk`,
      columns: [t.organizationId, t.accountId],
      foreignColumns: [accounts.organizationId, accounts.id],
    }),
    foreignKey({ name: `${name}_deal_fk`, columns: [t.organizationId, t.dealId], foreignColumns: [deals.organizationId, deals.id] }),
  ];
}
