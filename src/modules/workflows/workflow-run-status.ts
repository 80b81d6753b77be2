import { and, eq, sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../db/database.js';
import { workflowRunActions, workflowRuns } from './workflows.table.js';

export type RunStatus = 'WAITING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
export type ActionStatus = 'DONE' | 'FAILED' | 'SCHEDULED' | 'QUEUED' | 'CANCELLED';

/** A run waits while any action is pending; then it failed if any action failed. */
export function runStatusOf(actions: readonly { status: string; error: string | null }[]): { status: RunStatus; error: string | null } {
  const failed = actions.find((action) => action.status === 'FAILED');
  if (actions.some((action) => action.status === 'SCHEDULED' || action.status === 'QUEUED')) return { status: 'WAITING', error: failed?.error ?? null };
  if (failed) return { status: 'FAILED', error: failed.error };
  if (actions.length > 0 && actions.every((action) => action.status === 'CANCELLED')) return { status: 'CANCELLED', error: null };
  return { status: 'COMPLETED', error: null };
}

/** Re-derives a run's status after one of its actions settled (in the caller's transaction). */
export async function settleRun(tx: Db, organizationId: string, runId: string): Promise<void> {
  const actions = await tx
    .select({ status: workflowRunActions.status, error: workflowRunActions.error })
    .from(workflowRunActions)
    .where(and(eq(workflowRunActions.organizationId, organizationId), eq(workflowRunActions.runId, runId)));
  const { status, error } = runStatusOf(actions);
  await tx
    .update(workflowRuns)
    .set({ status, error, finishedAt: status === 'WAITING' ? null : new Date() })
    .where(and(eq(workflowRuns.organizationId, organizationId), eq(workflowRuns.id, runId)));
}

/** Moves one action out of `from` (the guard that makes a repeated job a no-op), returning whether it did. */
export async function settleAction(tx: Db, organizationId: string, runId: string, actionIndex: number, from: ActionStatus, to: ActionStatus, error: string | null = null): Promise<boolean> {
  const moved = await tx
    .update(workflowRunActions)
    .set({ status: to, error, completedAt: new Date() })
    .where(
      and(
        eq(workflowRunActions.organizationId, organizationId),
        eq(workflowRunActions.runId, runId),
        eq(workflowRunActions.actionIndex, actionIndex),
        eq(workflowRunActions.status, from),
      ),
    )
    .returning({ runId: workflowRunActions.runId });
  return moved.length > 0;
}

/**
 * Cancels the scheduled actions still waiting in runs of `ruleId` (its actions were replaced: a
 * waiting action belongs to the list it was scheduled from, which no longer exists).
 */
export async function cancelScheduledActionsOfRule(tx: Db, organizationId: string, ruleId: string, reason: string): Promise<void> {
  const cancelled = rowsOf<{ run_id: string }>(
    await tx.execute(sql`
      update workflow_run_actions a set status = 'CANCELLED', error = ${reason}, completed_at = now()
      from workflow_runs r
      where a.organization_id = ${organizationId} and a.status = 'SCHEDULED'
        and r.organization_id = a.organization_id and r.id = a.run_id and r.rule_id = ${ruleId}
      returning a.run_id`),
  );
  for (const runId of new Set(cancelled.map((row) => row.run_id))) await settleRun(tx, organizationId, runId);
}
