import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import type { Resolvers } from '../generated/graphql.js';
import { applyFieldSecurity } from '../modules/access-control/field-security.js';
import { accessControlResolvers } from '../modules/access-control/access-control.resolvers.js';
import { accountResolvers } from '../modules/accounts/accounts.resolvers.js';
import { activityResolvers } from '../modules/activities/activities.resolvers.js';
import { assignmentResolvers } from '../modules/assignment/assignment.resolvers.js';
import { authResolvers } from '../modules/auth/auth.resolvers.js';
import { contactResolvers } from '../modules/contacts/contacts.resolvers.js';
import { customizationResolvers } from '../modules/customization/customization.resolvers.js';
import { dealLiveResolvers } from '../modules/deals/deals-live.resolvers.js';
import { dealResolvers } from '../modules/deals/deals.resolvers.js';
import { importResolvers } from '../modules/imports/imports.resolvers.js';
import { exportResolvers } from '../modules/exports/exports.resolvers.js';
import { leadResolvers } from '../modules/leads/leads.resolvers.js';
import { noteResolvers } from '../modules/notes/notes.resolvers.js';
import { organizationResolvers } from '../modules/organizations/organizations.resolvers.js';
import { pipelineResolvers } from '../modules/pipelines/pipelines.resolvers.js';
import { dashboardResolvers } from '../modules/dashboards/dashboards.resolvers.js';
import { reportResolvers } from '../modules/reports/reports.resolvers.js';
import { recordTypeName } from '../modules/records/record.resolvers.js';
import { scoringResolvers } from '../modules/scoring/scoring.resolvers.js';
import { signalResolvers } from '../modules/signals/signals.resolvers.js';
import { territoryResolvers } from '../modules/territories/territories.resolvers.js';
import { timelineResolvers } from '../modules/timeline/timeline.resolvers.js';
import { trustedDocumentResolvers } from '../modules/trusted-documents/trusted-documents.resolvers.js';
import { userResolvers } from '../modules/users/users.resolvers.js';
import { workflowResolvers } from '../modules/workflows/workflows.resolvers.js';
import { notificationResolvers } from '../modules/notifications/notifications.resolvers.js';
// Automation joins every record write through record hooks, registered when these are imported.
import '../modules/assignment/assignment.hooks.js';
import '../modules/scoring/scoring.hooks.js';
import '../modules/territories/territories.hooks.js';
import { guardMutationsWhilePaused } from './paused-guard.js';
import { DateScalar, DateTimeScalar, DecimalScalar, JSONScalar } from './scalars.js';

export const SCHEMA_FOLDER = fileURLToPath(new URL('../../schema', import.meta.url));

/** The SDL files, in a stable order: base first, then by name. */
export function readTypeDefs(): string[] {
  const files = readdirSync(SCHEMA_FOLDER)
    .filter((file) => file.endsWith('.graphql'))
    .sort((a, b) => (a === 'base.graphql' ? -1 : b === 'base.graphql' ? 1 : a.localeCompare(b)));
  return files.map((file) => readFileSync(join(SCHEMA_FOLDER, file), 'utf8'));
}

const sharedResolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Date: DateScalar,
  Decimal: DecimalScalar,
  JSON: JSONScalar,
  RelatedRecord: { __resolveType: (row) => recordTypeName(row) },
  CrmRecord: { __resolveType: (row) => recordTypeName(row) },
};

export const moduleResolvers: Resolvers[] = [
  sharedResolvers,
  authResolvers,
  organizationResolvers,
  userResolvers,
  pipelineResolvers,
  accountResolvers,
  contactResolvers,
  leadResolvers,
  dealResolvers,
  dealLiveResolvers,
  activityResolvers,
  noteResolvers,
  timelineResolvers,
  signalResolvers,
  customizationResolvers,
  reportResolvers,
  dashboardResolvers,
  trustedDocumentResolvers,
  workflowResolvers,
  notificationResolvers,
  scoringResolvers,
  territoryResolvers,
  assignmentResolvers,
  accessControlResolvers,
  importResolvers,
  exportResolvers,
];

export function buildSchema(): GraphQLSchema {
  const schema = makeExecutableSchema({
    typeDefs: readTypeDefs(),
    // graphql-tools merges the per-module maps type by type.
    resolvers: moduleResolvers as never,
    resolverValidationOptions: { requireResolversToMatchSchema: 'error' },
  });
  return applyFieldSecurity(guardMutationsWhilePaused(schema));
}
