import { and, inArray } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { byIdLoader, childrenLoader } from '../../shared/loader-factories.js';
import { readScope } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import { stagesOfPipelines } from './pipelines.service.js';
import { pipelines, stages } from './pipelines.table.js';

export function createPipelineLoaders(db: Db, viewer: Viewer) {
  return {
    byId: byIdLoader((ids) => db.select().from(pipelines).where(and(readScope(viewer, 'pipelines', pipelines), inArray(pipelines.id, [...ids])))),
    stageById: byIdLoader((ids) => db.select().from(stages).where(and(readScope(viewer, 'pipelines', stages), inArray(stages.id, [...ids])))),
    stagesOf: childrenLoader((pipelineIds) => stagesOfPipelines(db, viewer, pipelineIds)),
  };
}
