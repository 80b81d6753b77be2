import { foreignKey, index, integer, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenantKey, timestampMs } from '../../db/columns.js';
import { contacts } from '../contacts/contacts.table.js';
import { deals } from '../deals/deals.table.js';
import { leads } from '../leads/leads.table.js';
import { organizations } from '../organizations/organizations.table.js';
import { users } from '../users/users.table.js';

/** A tracked email: what was sent to whom about which record, and how it was opened and clicked. */
export const emailMessages = pgTable(
  'email_messages',
  {
    ...tenantKey(),
    leadId: uuid('lead_id'),
    contactId: uuid('contact_id'),
    dealId: uuid('deal_id'),
    toAddress: text('to_address').notNull(),
    subject: text('subject').notNull(),
    /** The HTML as sent: with the open pixel and every link rewritten through the click redirect. */
    html: text('html').notNull(),
    text: text('text').notNull(),
    /** QUEUED, SENT, NOT_SENT (no SMTP configured) or FAILED. */
    status: text('status').notNull(),
    error: text('error'),
    /** Unguessable token of the open pixel: "<organisation>.<random>". */
    openToken: text('open_token').notNull(),
    sentById: uuid('sent_by_id').notNull(),
    /** Set for messages of a mass email; counts against the sender's daily limit. */
    massSendId: uuid('mass_send_id'),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    sentAt: timestampMs('sent_at'),
    openedAt: timestampMs('opened_at'),
    openCount: integer('open_count').notNull().default(0),
    clickCount: integer('click_count').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'email_messages_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
    foreignKey({ name: 'email_messages_lead_fk', columns: [t.organizationId, t.leadId], foreignColumns: [leads.organizationId, leads.id] }),
    foreignKey({ name: 'email_messages_contact_fk', columns: [t.organizationId, t.contactId], foreignColumns: [contacts.organizationId, contacts.id] }),
    foreignKey({ name: 'email_messages_deal_fk', columns: [t.organizationId, t.dealId], foreignColumns: [deals.organizationId, deals.id] }),
    foreignKey({ name: 'email_messages_sender_fk', columns: [t.organizationId, t.sentById], foreignColumns: [users.organizationId, users.id] }),
    uniqueIndex('email_messages_open_token_idx').on(t.organizationId, t.openToken),
    index('email_messages_lead_idx').on(t.organizationId, t.leadId),
    index('email_messages_contact_idx').on(t.organizationId, t.contactId),
    index('email_messages_deal_idx').on(t.organizationId, t.dealId),
    index('email_messages_mass_idx').on(t.organizationId, t.sentById, t.createdAt),
  ],
);

/** Each link of a message, behind its own click token. */
export const emailLinks = pgTable(
  'email_links',
  {
    ...tenantKey(),
    messageId: uuid('message_id').notNull(),
    url: text('url').notNull(),
    token: text('token').notNull(),
    clickCount: integer('click_count').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'email_links_message_fk', columns: [t.organizationId, t.messageId], foreignColumns: [emailMessages.organizationId, emailMessages.id] }).onDelete(
      'cascade',
    ),
    uniqueIndex('email_links_token_idx').on(t.organizationId, t.token),
  ],
);

export type EmailMessageRow = typeof emailMessages.$inferSelect;
export type EmailLinkRow = typeof emailLinks.$inferSelect;
