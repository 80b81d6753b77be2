import type { Resolvers } from '../../generated/graphql.js';
import { signedIn } from '../../server/context.js';
import { listTrustedDocuments, registerTrustedDocuments, removeTrustedDocument, setTrustedDocumentsRequired } from './trusted-documents.service.js';

export const trustedDocumentResolvers: Resolvers = {
  Query: {
    trustedDocuments: (_parent, _args, ctx) => listTrustedDocuments(signedIn(ctx)),
  },
  Mutation: {
    registerTrustedDocuments: (_parent, { input }, ctx, info) => registerTrustedDocuments(signedIn(ctx), info.schema, input.documents),
    removeTrustedDocument: (_parent, { input }, ctx) => removeTrustedDocument(signedIn(ctx), input.hash),
    setTrustedDocumentsRequired: (_parent, { input }, ctx) => setTrustedDocumentsRequired(signedIn(ctx), input.required),
  },
};
