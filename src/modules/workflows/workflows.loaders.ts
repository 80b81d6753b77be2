import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { byIdLoader, childrenLoader } from '../../shared/loader-factories.js';
import type { Viewer } from '../auth/viewer.js';
import { webhookAttempts, workflowRunActions, workflowRules, type WebhookAttemptRow, type WorkflowRunActionRow } from './workflows.table.js';

function groupBy<Row>(rows: readonly Row[], key: (row: Row) => string): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) groups.set(key(row), [...(groups.get(key(row)) ?? []), row]);
  return groups;
}

export function createWorkflowLoaders(db: Db, viewer: Viewer) {
  return {
    /** Rules by id, deleted ones included: a run still names its rule. */
    rules: byIdLoader((ids) => db.select().from(workflowRules).where(and(eq(workflowRules.organizationId, viewer.organizationId), inArray(workflowRules.id, [...ids])))),
    actionsOfRun: childrenLoader<WorkflowRunActionRow>(async (runIds) =>
      groupBy(
        await db
          .select()
          .from(workflowRunActions)
          .where(and(eq(workflowRunActions.organizationId, viewer.organizationId), inArray(workflowRunActions.runId, [...runIds])))
          .orderBy(asc(workflowRunActions.actionIndex)),
        (row) => row.runId,
      ),
    ),
    /** Keyed by "<runId>:<actionIndex>". */
    webhookAttempts: childrenLoader<WebhookAttemptRow>(async (keys) => {
      const runIds = [...new Set(keys.map((key) => key.split(':')[0] ?? ''))];
      const rows = await db
        .select()
        .from(webhookAttempts)
        .where(and(eq(webhookAttempts.organizationId, viewer.organizationId), inArray(webhookAttempts.runId, runIds)))
        .orderBy(asc(webhookAttempts.attempt), asc(webhookAttempts.at));
      return groupBy(rows, (row) => `${row.runId}:${row.actionIndex}`);
    }),
  };
}
