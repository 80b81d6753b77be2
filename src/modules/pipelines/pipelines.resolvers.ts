import type { Resolvers, StageKind } from '../../generated/graphql.js';
import { signedIn } from '../../server/context.js';
import { mustExist } from '../records/record.resolvers.js';
import { createPipeline, createStage, deleteStage, reorderStages, updatePipeline, updateStage } from './pipeline-admin.service.js';
import { getPipeline, listPipelines } from './pipelines.service.js';

export const pipelineResolvers: Resolvers = {
  Query: {
    pipelines: (_parent, _args, ctx) => listPipelines(signedIn(ctx)),
    pipeline: (_parent, { id }, ctx) => getPipeline(signedIn(ctx), id),
  },
  Mutation: {
    createPipeline: (_parent, { input }, ctx) => createPipeline(signedIn(ctx), input),
    updatePipeline: (_parent, { input }, ctx) => updatePipeline(signedIn(ctx), input),
    createStage: (_parent, { input }, ctx) => createStage(signedIn(ctx), input),
    updateStage: (_parent, { input }, ctx) => updateStage(signedIn(ctx), input),
    reorderStages: (_parent, { input }, ctx) => reorderStages(signedIn(ctx), input),
    deleteStage: (_parent, { input }, ctx) => deleteStage(signedIn(ctx), input),
  },
  Pipeline: {
    stages: (row, _args, ctx) => signedIn(ctx).loaders.pipelines.stagesOf.load(row.id),
  },
  Stage: {
    kind: (row) => row.kind as StageKind,
    pipeline: (row, _args, ctx) => mustExist(signedIn(ctx).loaders.pipelines.byId.load(row.pipelineId), 'pipeline'),
  },
};
