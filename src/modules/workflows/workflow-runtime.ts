import type { Config } from '../../config.js';
import type { Db } from '../../db/database.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import type { Logger } from '../../shared/logger.js';

/** What workflow runs need besides the writer's transaction: the job queue and the configuration. */
export interface WorkflowRuntime {
  /**
   * The row-level-secured handle of the organisation a workflow job names. There is no owner
   * handle here: this runtime is reachable from every record write (the hooks), and a rule only
   * ever acts within its own organisation.
   */
  readonly forOrganization: (organizationId: string) => Db;
  readonly jobs: JobQueue;
  readonly config: Config;
  readonly logger: Logger;
}

let current: WorkflowRuntime | null = null;

/**
 * Record hooks receive (tx, viewer) only, so the process' queue is registered here when its jobs
 * are defined (at server start). Jobs sent with `tx` are written through the writer's transaction,
 * so even with several servers in one process (tests) a job lands in the writer's database.
 */
export function setWorkflowRuntime(runtime: WorkflowRuntime): void {
  current = runtime;
}

export function workflowRuntime(): WorkflowRuntime {
  if (!current) throw new Error('workflow rules need the job queue: start the server (or define the jobs) first');
  return current;
}
