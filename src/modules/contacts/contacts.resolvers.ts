import type { Resolvers } from '../../generated/graphql.js';
import { customFieldsOf } from '../customization/customization.resolvers.js';
import { signedIn } from '../../server/context.js';
import { addressField, connectionFields, found, fullName, recordFields } from '../records/record.resolvers.js';
import { nameOf } from '../records/record-store.js';
import { CONTACT } from './contacts.kind.js';
import { createContact, deleteContact, listContacts, restoreContact, updateContact } from './contacts.service.js';

export const contactResolvers: Resolvers = {
  Query: {
    contact: (_parent, { id }, ctx) => found(signedIn(ctx).loaders.contacts.byId.load(id), nameOf(CONTACT)),
    contacts: (_parent, args, ctx) => listContacts(signedIn(ctx), args),
  },
  Mutation: {
    createContact: (_parent, { input }, ctx) => createContact(signedIn(ctx), input),
    updateContact: (_parent, { input }, ctx) => updateContact(signedIn(ctx), input),
    deleteContact: (_parent, { id }, ctx) => deleteContact(signedIn(ctx), id),
    restoreContact: (_parent, { id }, ctx) => restoreContact(signedIn(ctx), id),
  },
  Contact: {
    ...customFieldsOf('contacts'),
    ...recordFields('CONTACT'),
    ...addressField,
    fullName,
    account: (row, _args, ctx) => (row.accountId ? signedIn(ctx).loaders.accounts.byId.load(row.accountId) : null),
    deals: (row, { first }, ctx) => signedIn(ctx).loaders.deals.ofContact(first).load(row.id),
  },
  ContactConnection: connectionFields,
};
