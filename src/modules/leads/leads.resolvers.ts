import type { Resolvers } from '../../generated/graphql.js';
import { customFieldsOf } from '../customization/customization.resolvers.js';
import { signedIn } from '../../server/context.js';
import { addressField, connectionFields, found, fullName, recordFields } from '../records/record.resolvers.js';
import { nameOf } from '../records/record-store.js';
import { LEAD } from './leads.kind.js';
import { convertLead } from './lead-conversion.service.js';
import { createLead, deleteLead, listLeads, restoreLead, updateLead } from './leads.service.js';

export const leadResolvers: Resolvers = {
  Query: {
    lead: (_parent, { id }, ctx) => found(signedIn(ctx).loaders.leads.byId.load(id), nameOf(LEAD)),
    leads: (_parent, args, ctx) => listLeads(signedIn(ctx), args),
  },
  Mutation: {
    createLead: (_parent, { input }, ctx) => createLead(signedIn(ctx), input),
    updateLead: (_parent, { input }, ctx) => updateLead(signedIn(ctx), input),
    deleteLead: (_parent, { id }, ctx) => deleteLead(signedIn(ctx), id),
    restoreLead: (_parent, { id }, ctx) => restoreLead(signedIn(ctx), id),
    convertLead: (_parent, { input }, ctx) => convertLead(signedIn(ctx), input),
  },
  Lead: {
    ...customFieldsOf('leads'),
    ...recordFields('LEAD'),
    ...addressField,
    fullName,
    convertedContact: (row, _args, ctx) => (row.convertedContactId ? signedIn(ctx).loaders.contacts.byId.load(row.convertedContactId) : null),
    convertedAccount: (row, _args, ctx) => (row.convertedAccountId ? signedIn(ctx).loaders.accounts.byId.load(row.convertedAccountId) : null),
    convertedDeal: (row, _args, ctx) => (row.convertedDealId ? signedIn(ctx).loaders.deals.byId.load(row.convertedDealId) : null),
  },
  LeadConnection: connectionFields,
};
