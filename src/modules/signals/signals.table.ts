import { foreignKey, index, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { tenantKey, timestampMs } from '../../db/columns.js';
import { contacts } from '../contacts/contacts.table.js';
import { emailMessages } from '../emails/emails.table.js';
import { leads } from '../leads/leads.table.js';
import { organizations } from '../organizations/organizations.table.js';

/** A prospect's interaction: an email opened or clicked, a social mention, a website visit, a form. */
export const salesSignals = pgTable(
  'sales_signals',
  {
    ...tenantKey(),
    kind: text('kind').notNull(),
    /** The name of a CUSTOM signal. */
    customName: text('custom_name'),
    occurredAt: timestampMs('occurred_at').notNull(),
    leadId: uuid('lead_id'),
    contactId: uuid('contact_id'),
    emailMessageId: uuid('email_message_id'),
    /** Where it came from: "email", "twitter", "website", a tool's name. */
    source: text('source'),
    url: text('url'),
    handle: text('handle'),
    email: text('email'),
    detail: jsonb('detail').$type<Record<string, unknown>>(),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'sales_signals_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
    foreignKey({ name: 'sales_signals_lead_fk', columns: [t.organizationId, t.leadId], foreignColumns: [leads.organizationId, leads.id] }),
    foreignKey({ name: 'sales_signals_contact_fk', columns: [t.organizationId, t.contactId], foreignColumns: [contacts.organizationId, contacts.id] }),
    foreignKey({ name: 'sales_signals_email_fk', columns: [t.organizationId, t.emailMessageId], foreignColumns: [emailMessages.organizationId, emailMessages.id] }),
    index('sales_signals_occurred_idx').on(t.organizationId, t.occurredAt, t.id),
    index('sales_signals_lead_idx').on(t.organizationId, t.leadId, t.occurredAt),
    index('sales_signals_contact_idx').on(t.organizationId, t.contactId, t.occurredAt),
  ],
);

export type SalesSignalRow = typeof salesSignals.$inferSelect;
