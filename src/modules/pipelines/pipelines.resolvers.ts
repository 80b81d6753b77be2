import type { Resolvers, StageKind } from '../../generated/graphql.js';
import { signedIn } from '../../server/context.js';
import { mustExist } from '../records/record.resolvers.js';
import { getPipeline, listPipelines } from './pipelines.service.js';

export const pipelineResolvers: Resolvers = {
  Query: {
    pipelines: (_parent, _args, ctx) => listPipelines(signedIn(ctx)),
    pipeline: (_parent, { id }, ctx) => getPipeline(signedIn(ctx), id),
  },
  Pipeline: {
    stages: (row, _args, ctx) => signedIn(ctx).loaders.pipelines.stagesOf.load(row.id),
  },
  Stage: {
    kind: (row) => row.kind as StageKind,
    pipeline: (row, _args, ctx) => mustExist(signedIn(ctx).loaders.pipelines.byId.load(row.pipelineId), 'pipeline'),
  },
};
