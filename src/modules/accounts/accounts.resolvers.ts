import type { Resolvers } from '../../generated/graphql.js';
import { customFieldsOf } from '../customization/customization.resolvers.js';
import { signedIn } from '../../server/context.js';
import { addressField, connectionFields, found, recordFields } from '../records/record.resolvers.js';
import { nameOf } from '../records/record-store.js';
import { ACCOUNT } from './accounts.kind.js';
import { createAccount, deleteAccount, listAccounts, restoreAccount, updateAccount } from './accounts.service.js';

export const accountResolvers: Resolvers = {
  Query: {
    account: (_parent, { id }, ctx) => found(signedIn(ctx).loaders.accounts.byId.load(id), nameOf(ACCOUNT)),
    accounts: (_parent, args, ctx) => listAccounts(signedIn(ctx), args),
  },
  Mutation: {
    createAccount: (_parent, { input }, ctx) => createAccount(signedIn(ctx), input),
    updateAccount: (_parent, { input }, ctx) => updateAccount(signedIn(ctx), input),
    deleteAccount: (_parent, { id }, ctx) => deleteAccount(signedIn(ctx), id),
    restoreAccount: (_parent, { id }, ctx) => restoreAccount(signedIn(ctx), id),
  },
  Account: {
    ...customFieldsOf('accounts'),
    ...recordFields('ACCOUNT'),
    ...addressField,
    contacts: (row, { first }, ctx) => signedIn(ctx).loaders.contacts.ofAccount(first).load(row.id),
    deals: (row, { first }, ctx) => signedIn(ctx).loaders.deals.ofAccount(first).load(row.id),
  },
  AccountConnection: connectionFields,
};
