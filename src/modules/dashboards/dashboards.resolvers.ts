import type { Resolvers } from '../../generated/graphql.js';
import { signedIn } from '../../server/context.js';
import { createDashboard, deleteDashboard, getDashboard, listDashboards, sourceOf, updateDashboard } from './dashboards.service.js';

export const dashboardResolvers: Resolvers = {
  Query: {
    dashboards: (_p, _args, ctx) => listDashboards(signedIn(ctx)),
    dashboard: (_p, { id }, ctx) => getDashboard(signedIn(ctx).db, signedIn(ctx).viewer, id),
  },
  Mutation: {
    createDashboard: (_p, { input }, ctx) => createDashboard(signedIn(ctx), input),
    updateDashboard: (_p, { input }, ctx) => updateDashboard(signedIn(ctx), input),
    deleteDashboard: (_p, { id }, ctx) => deleteDashboard(signedIn(ctx), id),
  },
  Dashboard: {
    visibility: (row) => row.visibility as 'PRIVATE' | 'SHARED',
    owner: (row, _args, ctx) => signedIn(ctx).loaders.users.byId.load(row.ownerId),
    components: (row) => [...row.components],
  },
  DashboardComponent: {
    chart: (component) => component.chart as never,
    builtIn: (component) => (component.builtIn ? { analytic: component.builtIn.analytic as never, params: component.builtIn.params } : null),
    // Every component's data goes through the request's loader: equal sources share one query.
    data: (component, _args, ctx) => signedIn(ctx).loaders.reports.data.load(sourceOf(component)),
  },
};
