import { newRowId } from '../../db/row-id.js';
import { and, asc, desc, eq, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { DomainError, notFound } from '../../shared/errors.js';
import { readScope, recordScope } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { pipelines, stages, type PipelineRow, type StageRow } from './pipelines.table.js';

/** Zoho CRM's generic sales stages, given to every new organisation. */
export const DEFAULT_STAGES: ReadonlyArray<{ name: string; probability: number; kind: 'OPEN' | 'WON' | 'LOST' }> = [
  { name: 'Qualification', probability: 10, kind: 'OPEN' },
  { name: 'Needs Analysis', probability: 20, kind: 'OPEN' },
  { name: 'Value Proposition', probability: 40, kind: 'OPEN' },
  { name: 'Identify Decision Makers', probability: 60, kind: 'OPEN' },
  { name: 'Proposal/Price Quote', probability: 75, kind: 'OPEN' },
  { name: 'Negotiation/Review', probability: 90, kind: 'OPEN' },
  { name: 'Closed Won', probability: 100, kind: 'WON' },
  { name: 'Closed Lost', probability: 0, kind: 'LOST' },
];

export async function insertPipeline(
  tx: Db,
  organizationId: string,
  name: string,
  stageList: ReadonlyArray<{ name: string; probability: number; kind: string }>,
  isDefault: boolean,
): Promise<PipelineRow> {
  const [pipeline] = await tx.insert(pipelines).values({ organizationId, id: newRowId(), name, isDefault }).returning();
  if (!pipeline) throw new Error('insert returned no pipeline');
  await tx.insert(stages).values(
    stageList.map((stage, position) => ({ organizationId, id: newRowId(), pipelineId: pipeline.id, position, ...stage })),
  );
  return pipeline;
}

export function listPipelines(s: Pick<Session, 'db' | 'viewer'>): Promise<PipelineRow[]> {
  return s.db
    .select()
    .from(pipelines)
    .where(readScope(s.viewer, 'pipelines', pipelines))
    .orderBy(desc(pipelines.isDefault), asc(pipelines.position), asc(pipelines.createdAt), asc(pipelines.id));
}

export async function getPipeline(s: Session, id: string): Promise<PipelineRow> {
  const [row] = await s.db.select().from(pipelines).where(recordScope(s.viewer, 'pipelines', pipelines, id));
  if (!row) throw notFound('Pipeline');
  return row;
}

export async function stagesOfPipelines(db: Db, viewer: Viewer, pipelineIds: readonly string[]): Promise<Map<string, StageRow[]>> {
  const rows = await db
    .select()
    .from(stages)
    .where(and(readScope(viewer, 'pipelines', stages), inArray(stages.pipelineId, [...pipelineIds]), isNull(stages.deletedAt)))
    .orderBy(asc(stages.position), asc(stages.id));
  const byPipeline = new Map<string, StageRow[]>();
  for (const row of rows) byPipeline.set(row.pipelineId, [...(byPipeline.get(row.pipelineId) ?? []), row]);
  return byPipeline;
}

/**
 * Resolves where a deal goes: the stage given (its pipeline must match when both are given), else
 * the first stage of the pipeline given, else of the default pipeline.
 */
export async function resolveStage(tx: Db, viewer: Viewer, pipelineId: string | null | undefined, stageId: string | null | undefined): Promise<StageRow> {
  if (stageId) {
    const [stage] = await tx.select().from(stages).where(and(recordScope(viewer, 'pipelines', stages, stageId), isNull(stages.deletedAt)));
    if (!stage) throw new DomainError('NOT_FOUND', 'stageId: Stage not found', { field: 'stageId' });
    if (pipelineId && stage.pipelineId !== pipelineId) {
      throw new DomainError('BAD_USER_INPUT', 'stageId: the stage belongs to another pipeline', { field: 'stageId' });
    }
    return stage;
  }
  let pipeline = pipelineId;
  if (!pipeline) {
    const [found] = await tx
      .select({ id: pipelines.id })
      .from(pipelines)
      .where(readScope(viewer, 'pipelines', pipelines))
      .orderBy(desc(pipelines.isDefault), asc(pipelines.position), asc(pipelines.createdAt))
      .limit(1);
    if (!found) throw new DomainError('BAD_USER_INPUT', 'The organisation has no pipeline', { field: 'pipelineId' });
    pipeline = found.id;
  }
  const [first] = await tx
    .select()
    .from(stages)
    .where(and(readScope(viewer, 'pipelines', stages), eq(stages.pipelineId, pipeline), isNull(stages.deletedAt)))
    .orderBy(asc(stages.position))
    .limit(1);
  if (!first) throw new DomainError('NOT_FOUND', 'pipelineId: Pipeline not found', { field: 'pipelineId' });
  return first;
}
