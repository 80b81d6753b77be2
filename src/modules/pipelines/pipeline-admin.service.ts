import { newRowId } from '../../db/row-id.js';
import { and, isNull, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type {
  CreatePipelineInput,
  CreateStageInput,
  DeleteStageInput,
  ReorderStagesInput,
  StageInput,
  UpdatePipelineInput,
  UpdateStageInput,
} from '../../generated/graphql.js';
import { badInput, DomainError, labelled, mention, notFound } from '../../shared/errors.js';
import { percentage, requiredText } from '../../shared/validation.js';
import { assertManages, readScope, recordScope } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { countDealsInStage, moveAllDeals } from '../deals/deal-moves.service.js';
import { DEFAULT_STAGES, insertPipeline, stagesOfPipelines } from './pipelines.service.js';
import { pipelines, stages, type PipelineRow, type StageRow } from './pipelines.table.js';

function stageValues(input: StageInput, field = 'stages'): { name: string; probability: number; kind: string } {
  return {
    name: requiredText(`${field}.name`, input.name, 120),
    probability: percentage(`${field}.probability`, input.probability),
    kind: input.kind ?? 'OPEN',
  };
}

async function lockPipeline(tx: Db, viewer: Viewer, id: string, field = 'id'): Promise<PipelineRow> {
  const [row] = await tx.select().from(pipelines).where(recordScope(viewer, 'pipelines', pipelines, id)).for('update');
  if (!row) throw new DomainError('NOT_FOUND', 'Pipeline not found', { field });
  return row;
}

async function liveStages(tx: Db, viewer: Viewer, pipelineId: string): Promise<StageRow[]> {
  return (await stagesOfPipelines(tx, viewer, [pipelineId])).get(pipelineId) ?? [];
}

async function lockStage(tx: Db, viewer: Viewer, id: string, field = 'id'): Promise<StageRow> {
  const [row] = await tx.select().from(stages).where(and(recordScope(viewer, 'pipelines', stages, id), isNull(stages.deletedAt))).for('update');
  if (!row) throw new DomainError('NOT_FOUND', 'Stage not found', { field });
  return row;
}

async function makeDefault(tx: Db, viewer: Viewer, pipelineId: string): Promise<void> {
  await tx.update(pipelines).set({ isDefault: false }).where(and(readScope(viewer, 'pipelines', pipelines), ne(pipelines.id, pipelineId)));
  await tx.update(pipelines).set({ isDefault: true }).where(recordScope(viewer, 'pipelines', pipelines, pipelineId));
}

async function renumber(tx: Db, viewer: Viewer, ordered: readonly StageRow[]): Promise<void> {
  for (const [position, stage] of ordered.entries()) {
    if (stage.position !== position) await tx.update(stages).set({ position }).where(recordScope(viewer, 'pipelines', stages, stage.id));
  }
}

export async function createPipeline(s: Session, input: CreatePipelineInput): Promise<PipelineRow> {
  assertManages(s.viewer, 'pipelines');
  const name = requiredText('name', input.name, 120);
  const stageList = input.stages ? input.stages.map((stage) => stageValues(stage)) : DEFAULT_STAGES;
  if (stageList.length === 0) throw badInput('stages', 'A pipeline needs at least one stage');
  return inTransaction(s.db, async (tx) => {
    const pipeline = await insertPipeline(tx, s.viewer.organizationId, name, stageList, false);
    if (input.isDefault) await makeDefault(tx, s.viewer, pipeline.id);
    return { ...pipeline, isDefault: Boolean(input.isDefault) };
  });
}

export async function updatePipeline(s: Session, input: UpdatePipelineInput): Promise<PipelineRow> {
  assertManages(s.viewer, 'pipelines');
  return inTransaction(s.db, async (tx) => {
    const row = await lockPipeline(tx, s.viewer, input.id);
    if (input.name != null) {
      await tx.update(pipelines).set({ name: requiredText('name', input.name, 120), version: sql`${pipelines.version} + 1` }).where(recordScope(s.viewer, 'pipelines', pipelines, row.id));
    }
    if (input.isDefault === true) await makeDefault(tx, s.viewer, row.id);
    if (input.isDefault === false && row.isDefault) throw badInput('isDefault', 'Make another pipeline the default instead');
    const [updated] = await tx.select().from(pipelines).where(recordScope(s.viewer, 'pipelines', pipelines, row.id));
    if (!updated) throw notFound('Pipeline');
    return updated;
  });
}

export async function createStage(s: Session, input: CreateStageInput): Promise<StageRow> {
  assertManages(s.viewer, 'pipelines');
  const values = stageValues(input, 'input');
  return inTransaction(s.db, async (tx) => {
    const pipeline = await lockPipeline(tx, s.viewer, input.pipelineId, 'pipelineId');
    const current = await liveStages(tx, s.viewer, pipeline.id);
    const firstClosed = current.findIndex((stage) => stage.kind !== 'OPEN');
    const fallback = values.kind === 'OPEN' && firstClosed >= 0 ? firstClosed : current.length;
    const position = input.position ?? fallback;
    if (!Number.isInteger(position) || position < 0 || position > current.length) throw badInput('position', `position must be from 0 to ${current.length}`);
    const [stage] = await tx
      .insert(stages)
      .values({ organizationId: s.viewer.organizationId, id: newRowId(), pipelineId: pipeline.id, position, ...values })
      .returning();
    if (!stage) throw new Error('insert returned no stage');
    const ordered = [...current];
    ordered.splice(position, 0, stage);
    await renumber(tx, s.viewer, ordered);
    return { ...stage, position };
  });
}

export async function updateStage(s: Session, input: UpdateStageInput): Promise<StageRow> {
  assertManages(s.viewer, 'pipelines');
  const changes: Partial<StageRow> = {};
  if (input.name != null) changes.name = requiredText('name', input.name, 120);
  if (input.probability != null) changes.probability = percentage('probability', input.probability);
  if (input.kind != null) changes.kind = input.kind;
  return inTransaction(s.db, async (tx) => {
    const stage = await lockStage(tx, s.viewer, input.id);
    if (Object.keys(changes).length === 0) return stage;
    const [updated] = await tx.update(stages).set(changes).where(recordScope(s.viewer, 'pipelines', stages, stage.id)).returning();
    if (!updated) throw notFound('Stage');
    return updated;
  });
}

export async function reorderStages(s: Session, input: ReorderStagesInput): Promise<PipelineRow> {
  assertManages(s.viewer, 'pipelines');
  return inTransaction(s.db, async (tx) => {
    const pipeline = await lockPipeline(tx, s.viewer, input.pipelineId, 'pipelineId');
    const current = await liveStages(tx, s.viewer, pipeline.id);
    const byId = new Map(current.map((stage) => [stage.id, stage]));
    const ordered = input.stageIds.map((id) => byId.get(id));
    if (new Set(input.stageIds).size !== input.stageIds.length || ordered.length !== current.length || ordered.some((stage) => !stage)) {
      throw badInput('stageIds', 'stageIds must list every stage of the pipeline exactly once');
    }
    await renumber(tx, s.viewer, ordered as StageRow[]);
    return pipeline;
  });
}

export async function deleteStage(s: Session, input: DeleteStageInput): Promise<PipelineRow> {
  assertManages(s.viewer, 'pipelines');
  return inTransaction(s.db, async (tx) => {
    const stage = await lockStage(tx, s.viewer, input.id);
    const pipeline = await lockPipeline(tx, s.viewer, stage.pipelineId);
    const current = await liveStages(tx, s.viewer, pipeline.id);
    if (current.length <= 1) throw badInput('id', 'A pipeline keeps at least one stage');
    if (input.moveDealsToStageId === input.id) throw badInput('moveDealsToStageId', 'moveDealsToStageId must be another stage');
    const target = input.moveDealsToStageId ? await lockStage(tx, s.viewer, input.moveDealsToStageId, 'moveDealsToStageId') : null;
    if (target && target.pipelineId !== pipeline.id) throw badInput('moveDealsToStageId', 'moveDealsToStageId must be a stage of the same pipeline');
    if (target) await moveAllDeals(tx, s.viewer, stage, target);
    else if ((await countDealsInStage(tx, s.viewer, stage.id)) > 0) {
      throw badInput('moveDealsToStageId', labelled`The stage has ${mention('deals', 'deals', true)}: name the stage they move to`);
    }
    await tx.update(stages).set({ deletedAt: new Date() }).where(recordScope(s.viewer, 'pipelines', stages, stage.id));
    await renumber(tx, s.viewer, current.filter((other) => other.id !== stage.id));
    return pipeline;
  });
}
