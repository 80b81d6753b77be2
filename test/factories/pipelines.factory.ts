import type { GraphQLClient } from '../helpers/graphql-client.js';

export interface StageRef {
  readonly id: string;
  readonly name: string;
  readonly probability: number;
  readonly kind: string;
}

export interface PipelineRef {
  readonly id: string;
  readonly stages: StageRef[];
}

export async function defaultPipeline(client: GraphQLClient): Promise<PipelineRef> {
  const { pipelines } = await client.ok(`{ pipelines { id isDefault stages { id name probability kind } } }`);
  return pipelines.find((p: { isDefault: boolean }) => p.isDefault);
}

export function stageNamed(pipeline: PipelineRef, name: string): StageRef {
  const stage = pipeline.stages.find((s) => s.name === name);
  if (!stage) throw new Error(`no stage ${name}`);
  return stage;
}

export const MOVE = `mutation($input: MoveDealInput!) {
  moveDeal(input: $input) { id version probability boardRank closedAt stage { id name } }
}`;
