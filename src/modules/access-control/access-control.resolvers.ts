import type { AccessModule, BuiltInProfile, RecordAction, Resolvers, SettingPermission, SharedModule } from '../../generated/graphql.js';
import { signedIn } from '../../server/context.js';
import { notFound } from '../../shared/errors.js';
import { connectionFields } from '../records/record.resolvers.js';
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys.service.js';
import { listAuditLog } from './audit.service.js';
import { securableFields } from './field-catalog.js';
import { SETTINGS } from './permissions.js';
import { createProfile, deleteProfile, getProfile, listProfiles, updateProfile } from './profiles.service.js';
import { createRole, createSharingRule, deleteRole, deleteSharingRule, listRoles, listSharing, listSharingRules, setSharing, updateRole } from './roles.service.js';

/** Internal names are lower case ('deals', 'read'); the schema's enums are upper case. */
const upper = <T extends string>(value: string): T => value.toUpperCase() as T;

const required = async <T>(pending: Promise<T | null>, what: string): Promise<T> => {
  const row = await pending;
  if (!row) throw notFound(what);
  return row;
};

export const accessControlResolvers: Resolvers = {
  Query: {
    profiles: (_parent, _args, ctx) => listProfiles(signedIn(ctx)),
    profile: (_parent, { id }, ctx) => getProfile(signedIn(ctx), id),
    roles: (_parent, _args, ctx) => listRoles(signedIn(ctx)),
    sharing: (_parent, _args, ctx) => listSharing(signedIn(ctx)),
    sharingRules: (_parent, _args, ctx) => listSharingRules(signedIn(ctx)),
    securableFields: (_parent, { module }, ctx) => {
      signedIn(ctx);
      return [...securableFields(module.toLowerCase())];
    },
    apiKeys: (_parent, _args, ctx) => listApiKeys(signedIn(ctx)),
    auditLog: (_parent, { filter, first, after }, ctx) => listAuditLog(signedIn(ctx), filter, first, after),
  },
  Mutation: {
    createProfile: (_parent, { input }, ctx) => createProfile(signedIn(ctx), input),
    updateProfile: (_parent, { input }, ctx) => updateProfile(signedIn(ctx), input),
    deleteProfile: (_parent, { id }, ctx) => deleteProfile(signedIn(ctx), id),
    createRole: (_parent, { input }, ctx) => createRole(signedIn(ctx), input),
    updateRole: (_parent, { input }, ctx) => updateRole(signedIn(ctx), input),
    deleteRole: (_parent, { id }, ctx) => deleteRole(signedIn(ctx), id),
    setSharing: (_parent, { input }, ctx) => setSharing(signedIn(ctx), input),
    createSharingRule: (_parent, { input }, ctx) => createSharingRule(signedIn(ctx), input),
    deleteSharingRule: (_parent, { id }, ctx) => deleteSharingRule(signedIn(ctx), id),
    createApiKey: (_parent, { input }, ctx) => createApiKey(signedIn(ctx), input),
    revokeApiKey: (_parent, { id }, ctx) => revokeApiKey(signedIn(ctx), id),
  },
  Profile: {
    builtIn: (row) => (row.builtIn ? (row.builtIn as BuiltInProfile) : null),
    modules: (row) =>
      Object.entries(row.modulePermissions).map(([module, actions]) => ({ module: upper<AccessModule>(module), actions: actions.map((action) => upper<RecordAction>(action)) })),
    // The Administrator holds every setting, also those added after its row was written.
    settings: (row) => (row.builtIn === 'ADMINISTRATOR' ? SETTINGS : row.settings).map((setting) => upper<SettingPermission>(setting)),
    fieldAccess: (row) => row.fieldAccess.map((entry) => ({ module: upper<SharedModule>(entry.module), field: entry.field, access: entry.access })),
  },
  HierarchyRole: {
    parent: (row, _args, ctx) => (row.parentId ? signedIn(ctx).loaders.accessControl.roleById.load(row.parentId) : null),
  },
  ModuleSharing: {
    module: (row) => upper<SharedModule>(row.module),
  },
  SharingRule: {
    module: (row) => upper<SharedModule>(row.module),
    ownerRole: (row, _args, ctx) => required(signedIn(ctx).loaders.accessControl.roleById.load(row.ownerRoleId), 'Role'),
    granteeRole: (row, _args, ctx) => required(signedIn(ctx).loaders.accessControl.roleById.load(row.granteeRoleId), 'Role'),
    access: (row) => (row.access === 'READ' ? 'READ' : 'READ_WRITE'),
  },
  ApiKey: {
    profile: (row, _args, ctx) => required(signedIn(ctx).loaders.accessControl.profileById.load(row.profileId), 'Profile'),
    createdBy: (row, _args, ctx) => required(signedIn(ctx).loaders.users.byId.load(row.createdById), 'User'),
    active: (row) => !row.revokedAt && (!row.expiresAt || row.expiresAt.getTime() > Date.now()),
  },
  AuditEntry: {
    actor: (row, _args, ctx) => (row.actorUserId ? signedIn(ctx).loaders.users.byId.load(row.actorUserId) : null),
    action: (row) => row.action as never,
  },
  AuditConnection: connectionFields,
};
