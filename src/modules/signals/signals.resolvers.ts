import type { EmailStatus, Engagement, Resolvers, SignalKind } from '../../generated/graphql.js';
import { encodeEventCursor } from '../../events/cursor.js';
import type { EventRow } from '../../events/events.table.js';
import { signedIn, subscriber, type GraphQLContext } from '../../server/context.js';
import { getEmailMessage, sendEmail, sendMassEmail } from '../emails/emails.service.js';
import type { EmailMessageRow } from '../emails/emails.table.js';
import { SENDING } from '../emails/email-delivery.js';
import { createWebForm, deactivateWebForm, listWebForms } from '../forms/forms.service.js';
import { currentOrganization } from '../organizations/organizations.service.js';
import { engagementOf } from '../records/engagement.js';
import { connectionFields, relatedRecordField, userField } from '../records/record.resolvers.js';
import { listSalesSignals, salesSignalStream, signalOfEvent } from './signals-feed.service.js';
import { recordSalesSignal, rotateWebhookSecret, updateSignalSettings } from './signal-record.service.js';
import type { SalesSignalRow } from './signals.table.js';

type Engaged = { id: string; lastActivityAt: Date | null };

/** Engagement, signals and emails of a lead or contact. */
const engagementFields = (type: 'LEAD' | 'CONTACT') => ({
  engagement: (row: Engaged, _args: unknown, ctx: GraphQLContext): Engagement => engagementOf(row.lastActivityAt, signedIn(ctx).viewer.engagement),
  signals: (row: Engaged, args: { first: number }, ctx: GraphQLContext) => signedIn(ctx).loaders.signals.of({ type, first: args.first }).load(row.id),
  emails: (row: Engaged, args: { first: number }, ctx: GraphQLContext) => signedIn(ctx).loaders.emails.of({ type, first: args.first }).load(row.id),
});

export const signalResolvers: Resolvers = {
  Query: {
    salesSignals: (_parent, args, ctx) => listSalesSignals(signedIn(ctx), args),
    emailMessage: (_parent, { id }, ctx) => getEmailMessage(signedIn(ctx), id),
    signalSettings: (_parent, _args, ctx) => currentOrganization(signedIn(ctx)),
    webForms: (_parent, _args, ctx) => listWebForms(signedIn(ctx)),
  },
  Mutation: {
    sendEmail: (_parent, { input }, ctx) => sendEmail(signedIn(ctx), input),
    sendMassEmail: (_parent, { input }, ctx) => sendMassEmail(signedIn(ctx), input),
    recordSalesSignal: (_parent, { input }, ctx) => recordSalesSignal(signedIn(ctx), input),
    rotateWebhookSecret: (_parent, _args, ctx) => rotateWebhookSecret(signedIn(ctx)),
    updateSignalSettings: (_parent, { input }, ctx) => updateSignalSettings(signedIn(ctx), input),
    createWebForm: (_parent, { input }, ctx) => createWebForm(signedIn(ctx), input),
    deactivateWebForm: (_parent, { id }, ctx) => deactivateWebForm(signedIn(ctx), id),
  },
  Subscription: {
    salesSignal: {
      subscribe: (_parent, { filter, after }, ctx) => salesSignalStream(subscriber(ctx), filter, after),
      resolve: (event: EventRow) => ({ ...signalOfEvent(event), cursor: encodeEventCursor(event.seq) }),
    },
  },
  SalesSignal: {
    cursor: (row) => (row as SalesSignalRow & { cursor?: string }).cursor ?? null,
    kind: (row) => row.kind as SignalKind,
    lead: (row, _args, ctx) => (row.leadId ? signedIn(ctx).loaders.leads.byId.load(row.leadId) : null),
    contact: (row, _args, ctx) => (row.contactId ? signedIn(ctx).loaders.contacts.byId.load(row.contactId) : null),
    email: (row, _args, ctx) => (row.emailMessageId ? signedIn(ctx).loaders.emails.byId.load(row.emailMessageId) : null),
  },
  SalesSignalConnection: connectionFields,
  EmailMessage: {
    to: (row) => row.toAddress,
    // A message being handed to SMTP right now is still queued as far as readers are concerned.
    status: (row) => (row.status === SENDING ? 'QUEUED' : row.status) as EmailStatus,
    record: (row: EmailMessageRow, args, ctx, info) => relatedRecordField({ leadId: row.leadId, contactId: row.contactId, accountId: null, dealId: row.dealId }, args, ctx, info),
    sentBy: userField((row: EmailMessageRow) => row.sentById),
  },
  SignalSettings: {
    hasWebhookSecret: (row) => row.webhookSecret !== null,
  },
  WebForm: {
    owner: userField((row) => row.ownerId),
  },
  Lead: engagementFields('LEAD'),
  Contact: engagementFields('CONTACT'),
};
