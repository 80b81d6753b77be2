import type { ApolloServerPlugin } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { NextFunction, Request, Response } from 'express';
import { chooseDocument, sentHash } from '../../modules/trusted-documents/trusted-documents.service.js';
import { tenantDb, type GraphQLContext } from '../context.js';

/** Runs instead of a refused document, so Apollo reaches `didResolveOperation`, where the refusal is thrown. */
const PLACEHOLDER = '{ __typename }';

const STATUS: Readonly<Record<string, number>> = { PERSISTED_QUERY_NOT_FOUND: 404, TRUSTED_DOCUMENT_REQUIRED: 400, BAD_REQUEST: 400 };

/**
 * Resolves document ids to the organisation's registered documents and refuses arbitrary ones
 * when the organisation requires trusted documents. Replaces Apollo's automatic persisted
 * queries, which would let any client register any document.
 */
export function trustedDocumentsPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart({ request, contextValue }) {
      const hash = sentHash(request.extensions);
      const { deps, viewer } = contextValue;
      const choice = await chooseDocument(viewer ? tenantDb(deps, viewer) : deps.db, viewer, { query: request.query, hash });
      if (request.extensions) {
        const { persistedQuery: _persisted, documentId: _id, ...rest } = request.extensions;
        request.extensions = rest;
      }
      let refusal: GraphQLError | null = null;
      if ('error' in choice) {
        refusal = choice.error;
        request.query = PLACEHOLDER;
        delete request.operationName;
      } else {
        request.query = choice.query;
      }
      return {
        async didResolveOperation() {
          if (!refusal) return;
          const code = String(refusal.extensions['code']);
          throw new GraphQLError(refusal.message, { extensions: { code, http: { status: STATUS[code] ?? 400, headers: new HeaderMap() } } });
        },
      };
    },
  };
}

/** The GraphQL-over-HTTP trusted-documents draft sends `documentId` next to `query`; Apollo reads extensions only. */
export function documentIdInBody(req: Request, _res: Response, next: NextFunction): void {
  const body = req.body as Record<string, unknown> | undefined;
  if (body && typeof body === 'object' && typeof body['documentId'] === 'string') {
    body['extensions'] = { ...(body['extensions'] as object | undefined), documentId: body['documentId'] };
    delete body['documentId'];
  }
  next();
}
