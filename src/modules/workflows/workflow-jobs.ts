import type { JobDeps } from '../../jobs/job-deps.js';
import type { JobQueue } from '../../jobs/job-queue.js';
// Importing the hooks registers them: every process that defines its jobs runs workflow rules.
import './workflow-hooks.js';
import { ACTION_JOB, DATE_JOB, runDateTrigger, runScheduledAction, type ActionJob, type DateJob } from './workflow-runs.js';
import { setWorkflowRuntime } from './workflow-runtime.js';
import { deliverWebhook, WEBHOOK_JOB, WEBHOOK_RETRIES, WEBHOOK_RETRY_DELAY_SECONDS, type WebhookJob } from './workflow-webhooks.js';

export function defineWorkflowJobs(jobs: JobQueue, deps: JobDeps): void {
  const runtime = { forOrganization: deps.forOrganization, jobs, config: deps.config, logger: deps.logger };
  setWorkflowRuntime(runtime);
  jobs.define<ActionJob>(ACTION_JOB, (job) => runScheduledAction(runtime, job), { retryLimit: 3, retryDelaySeconds: 60, retryBackoff: true });
  jobs.define<DateJob>(DATE_JOB, (job) => runDateTrigger(runtime, job), { retryLimit: 3, retryDelaySeconds: 60, retryBackoff: true });
  jobs.define<WebhookJob>(WEBHOOK_JOB, (job, info) => deliverWebhook(runtime, job, info), {
    retryLimit: WEBHOOK_RETRIES,
    retryDelaySeconds: WEBHOOK_RETRY_DELAY_SECONDS,
    retryBackoff: true,
  });
}
