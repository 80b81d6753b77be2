import type { ApolloServerPlugin } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { DomainError } from '../../shared/errors.js';
import type { GraphQLContext } from '../context.js';
import type { CostExtension, OperationLimits } from './operation-guard.js';

/** Apollo's side of `OperationLimits`: suggestions, cost, budget, and `extensions.cost` on every answer. */
export function limitsPlugin(limits: OperationLimits): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      let cost: CostExtension | null = null;
      return {
        async validationDidStart() {
          return async (errors) => {
            for (const error of errors ?? []) error.message = limits.message(error.message);
          };
        },
        async didResolveOperation(request) {
          if (!request.operation) return;
          const caller = { viewer: request.contextValue.viewer, address: request.contextValue.clientAddress ?? 'unknown' };
          const admission = await limits.admit(request.schema, request.document, request.operation, request.request.variables, caller);
          cost = admission.cost;
          const { error } = admission;
          if (!error) return;
          if (error instanceof DomainError) {
            const retryAfter = String(error.details['retryAfterSeconds'] ?? 1);
            throw new GraphQLError(error.message, { originalError: error, extensions: { http: { status: 429, headers: new HeaderMap([['retry-after', retryAfter]]) } } });
          }
          throw new GraphQLError(error.message, { extensions: { ...error.extensions, http: { status: 400, headers: new HeaderMap() } } });
        },
        async willSendResponse({ response }) {
          if (cost && response.body.kind === 'single') {
            response.body.singleResult.extensions = { ...response.body.singleResult.extensions, cost };
          }
        },
      };
    },
  };
}
