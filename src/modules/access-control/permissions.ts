/**
 * What profiles can grant: actions on each module's records and the settings a user may manage.
 * The built-in Administrator always has everything (also what later modules add); Standard starts
 * with every record action and no setting, which is what every user could do before profiles.
 */

export const CRM_MODULES = ['leads', 'contacts', 'accounts', 'deals', 'activities', 'notes', 'emails', 'signals'] as const;
export type CrmModule = (typeof CRM_MODULES)[number];

export const RECORD_ACTIONS = ['create', 'read', 'update', 'delete', 'import', 'export'] as const;
export type RecordAction = (typeof RECORD_ACTIONS)[number];

export const SETTINGS = ['users', 'organization', 'pipelines', 'forms', 'signals', 'rules', 'reports', 'fields', 'access', 'audit', 'workflows', 'territories', 'imports'] as const;
export type Setting = (typeof SETTINGS)[number];

/** Modules whose records have an owner, and so follow organisation-wide sharing and the role hierarchy. */
export const SHARED_MODULES = ['leads', 'contacts', 'accounts', 'deals', 'activities'] as const;
export type SharedModule = (typeof SHARED_MODULES)[number];

export const SHARING_LEVELS = ['PRIVATE', 'PUBLIC_READ', 'PUBLIC_READ_WRITE'] as const;
export type SharingLevel = (typeof SHARING_LEVELS)[number];

export type BuiltInProfile = 'ADMINISTRATOR' | 'STANDARD';

export const isSharedModule = (module: string): module is SharedModule => (SHARED_MODULES as readonly string[]).includes(module);

/** Every action on every module (the stored form of a profile's module permissions). */
export const ALL_MODULE_PERMISSIONS = (): Record<string, string[]> =>
  Object.fromEntries(CRM_MODULES.map((module) => [module, [...RECORD_ACTIONS]]));
