import type { Config } from '../../config.js';
import type { ExportStatus, OrganizationRestoreStatus, Resolvers } from '../../generated/graphql.js';
import { signedIn } from '../../server/context.js';
import { assertManages } from '../auth/access.js';
import type { OrganizationRestoreRow } from './exports.table.js';
import { downloadToken, exportOrganization, getExport, listExports, verifyExport } from './organization-export.service.js';
import { getRestore, listRestores, startRestore } from './organization-restore.service.js';

/** Where a restore's archive is sent while the restore waits for it. */
export const restoreUploadUrl = (config: Config, row: OrganizationRestoreRow): string | null => (row.status === 'UPLOADING' ? `${config.publicUrl}/restores/${row.id}/file` : null);

export const exportResolvers: Resolvers = {
  Query: {
    organizationExports: (_parent, _args, ctx) => listExports(signedIn(ctx)),
    organizationExport: (_parent, { id }, ctx) => {
      const s = signedIn(ctx);
      assertManages(s.viewer, 'organization');
      return getExport(s.db, s.viewer, id);
    },
    organizationRestores: (_parent, _args, ctx) => listRestores(signedIn(ctx)),
    organizationRestore: (_parent, { id }, ctx) => getRestore(signedIn(ctx), id),
  },
  Mutation: {
    exportOrganization: (_parent, _args, ctx) => exportOrganization(signedIn(ctx)),
    verifyExport: (_parent, { id }, ctx) => verifyExport(signedIn(ctx), id),
    restoreOrganization: (_parent, _args, ctx) => startRestore(signedIn(ctx)),
  },
  OrganizationExport: {
    status: (row) => row.status as ExportStatus,
    downloadUrl: (row, _args, ctx) => {
      const token = row.status === 'COMPLETED' && row.expiresAt && row.expiresAt > new Date() ? downloadToken(ctx.deps.config, row) : null;
      return token ? `${ctx.deps.config.publicUrl}/export/organization/${row.id}.zip?token=${token}` : null;
    },
  },
  OrganizationRestore: {
    status: (row) => row.status as OrganizationRestoreStatus,
    uploadUrl: (row, _args, ctx) => restoreUploadUrl(ctx.deps.config, row),
  },
};
