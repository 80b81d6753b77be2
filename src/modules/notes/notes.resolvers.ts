import type { Resolvers } from '../../generated/graphql.js';
import { signedIn } from '../../server/context.js';
import { mustExist, relatedRecordField, userField } from '../records/record.resolvers.js';
import { createNote, deleteNote, updateNote } from './notes.service.js';

export const noteResolvers: Resolvers = {
  Mutation: {
    createNote: (_parent, { input }, ctx) => createNote(signedIn(ctx), input),
    updateNote: (_parent, { input }, ctx) => updateNote(signedIn(ctx), input),
    deleteNote: (_parent, { id }, ctx) => deleteNote(signedIn(ctx), id),
  },
  Note: {
    author: userField((row) => row.authorId),
    relatedTo: (row, args, ctx, info) => mustExist(Promise.resolve(relatedRecordField(row, args, ctx, info)), 'note record'),
  },
};
