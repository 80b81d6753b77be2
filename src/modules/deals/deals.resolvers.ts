import type { Resolvers } from '../../generated/graphql.js';
import { customFieldsOf } from '../customization/customization.resolvers.js';
import { signedIn } from '../../server/context.js';
import { connectionFields, found, mustExist, recordFields } from '../records/record.resolvers.js';
import { nameOf } from '../records/record-store.js';
import { DEAL } from './deals.kind.js';
import { createDeal, deleteDeal, listDeals, restoreDeal, updateDeal, weightedAmount } from './deals.service.js';

export const dealResolvers: Resolvers = {
  Query: {
    deal: (_parent, { id }, ctx) => found(signedIn(ctx).loaders.deals.byId.load(id), nameOf(DEAL)),
    deals: (_parent, args, ctx) => listDeals(signedIn(ctx), args),
  },
  Mutation: {
    createDeal: (_parent, { input }, ctx) => createDeal(signedIn(ctx), input),
    updateDeal: (_parent, { input }, ctx) => updateDeal(signedIn(ctx), input),
    deleteDeal: (_parent, { id }, ctx) => deleteDeal(signedIn(ctx), id),
    restoreDeal: (_parent, { id }, ctx) => restoreDeal(signedIn(ctx), id),
  },
  Deal: {
    ...customFieldsOf('deals'),
    ...recordFields('DEAL'),
    weightedAmount: (row) => weightedAmount(row.amount, row.probability),
    pipeline: (row, _args, ctx) => mustExist(signedIn(ctx).loaders.pipelines.byId.load(row.pipelineId), 'pipeline'),
    stage: (row, _args, ctx) => mustExist(signedIn(ctx).loaders.pipelines.stageById.load(row.stageId), 'stage'),
    account: (row, _args, ctx) => (row.accountId ? signedIn(ctx).loaders.accounts.byId.load(row.accountId) : null),
    contact: (row, _args, ctx) => (row.contactId ? signedIn(ctx).loaders.contacts.byId.load(row.contactId) : null),
    stageHistory: (row, _args, ctx) => signedIn(ctx).loaders.deals.stageHistory.load(row.id),
  },
  DealConnection: connectionFields,
};
