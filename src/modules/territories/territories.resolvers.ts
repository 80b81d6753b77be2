import type { Resolvers } from '../../generated/graphql.js';
import { signedIn, type GraphQLContext } from '../../server/context.js';
import { found, userField } from '../records/record.resolvers.js';
import type { TerritoryRow } from './territories.table.js';
import { assignTerritoryUsers, createTerritory, deleteTerritory, listTerritories, updateTerritory } from './territories.service.js';

const territoriesField = async (row: { territoryIds: string[] }, _args: unknown, ctx: GraphQLContext): Promise<TerritoryRow[]> => {
  const rows = await signedIn(ctx).loaders.territories.byId.loadMany(row.territoryIds);
  return rows.filter((territory): territory is TerritoryRow => territory !== null && !(territory instanceof Error));
};

export const territoryResolvers: Resolvers = {
  Query: {
    territories: (_parent, _args, ctx) => listTerritories(signedIn(ctx)),
    territory: (_parent, { id }, ctx) => found(signedIn(ctx).loaders.territories.byId.load(id), 'Territory'),
  },
  Mutation: {
    createTerritory: (_parent, { input }, ctx) => createTerritory(signedIn(ctx), input),
    updateTerritory: (_parent, { input }, ctx) => updateTerritory(signedIn(ctx), input),
    deleteTerritory: (_parent, { id }, ctx) => deleteTerritory(signedIn(ctx), id),
    assignTerritoryUsers: (_parent, { input }, ctx) => assignTerritoryUsers(signedIn(ctx), input),
  },
  Territory: {
    parent: (row, _args, ctx) => (row.parentId ? signedIn(ctx).loaders.territories.byId.load(row.parentId) : null),
    children: (row, _args, ctx) => signedIn(ctx).loaders.territories.children.load(row.id),
    users: (row, _args, ctx) => signedIn(ctx).loaders.territories.users.load(row.id),
  },
  TerritoryUser: {
    user: userField((row) => row.userId),
  },
  Account: { territories: territoriesField },
  Contact: { territories: territoriesField },
  Deal: { territories: territoriesField },
};
