import type { ExportStatus, Resolvers } from '../../generated/graphql.js';
import { signedIn } from '../../server/context.js';
import { assertManages } from '../auth/access.js';
import { downloadToken, exportOrganization, getExport, listExports, verifyExport } from './organization-export.service.js';

export const exportResolvers: Resolvers = {
  Query: {
    organizationExports: (_parent, _args, ctx) => listExports(signedIn(ctx)),
    organizationExport: (_parent, { id }, ctx) => {
      const s = signedIn(ctx);
      assertManages(s.viewer, 'organization');
      return getExport(s.db, s.viewer, id);
    },
  },
  Mutation: {
    exportOrganization: (_parent, _args, ctx) => exportOrganization(signedIn(ctx)),
    verifyExport: (_parent, { id }, ctx) => verifyExport(signedIn(ctx), id),
  },
  OrganizationExport: {
    status: (row) => row.status as ExportStatus,
    downloadUrl: (row, _args, ctx) => {
      const token = row.status === 'COMPLETED' && row.expiresAt && row.expiresAt > new Date() ? downloadToken(ctx.deps.config, row) : null;
      return token ? `${ctx.deps.config.publicUrl}/export/organization/${row.id}.zip?token=${token}` : null;
    },
  },
};
