import { defaultFieldResolver, type GraphQLSchema } from 'graphql';
import { organizationPaused } from '../modules/auth/access.js';
import type { GraphQLContext } from './context.js';

/**
 * Mutations a paused organisation may still run: leaving the pause, backing up, deleting, and
 * signing in. Everything else is refused here, in one place, whichever module it belongs to
 * (record writes are refused again by `assertCan`, and HTTP write routes by `assertWritable`).
 */
const ALLOWED_WHILE_PAUSED = new Set(['logIn', 'signUp', 'acceptInvitation', 'pauseOrganization', 'resumeOrganization', 'exportOrganization', 'verifyExport', 'deleteOrganization', 'cancelOrganizationDeletion']);

export function guardMutationsWhilePaused(schema: GraphQLSchema): GraphQLSchema {
  const mutation = schema.getMutationType();
  if (!mutation) return schema;
  for (const field of Object.values(mutation.getFields())) {
    if (ALLOWED_WHILE_PAUSED.has(field.name)) continue;
    const resolve = field.resolve ?? defaultFieldResolver;
    field.resolve = (source, args, context: GraphQLContext, info) => {
      if (context.viewer?.paused) throw organizationPaused();
      return resolve(source, args, context, info);
    };
  }
  return schema;
}
