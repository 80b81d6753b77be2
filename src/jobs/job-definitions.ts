import { defineEmailJobs } from '../modules/emails/email-delivery.js';
import { defineReportJobs } from '../modules/reports/report-delivery.job.js';
import { defineWorkflowJobs } from '../modules/workflows/workflow-jobs.js';
import { defineScoringJobs } from '../modules/scoring/scoring-runs.js';
import { defineImportJobs, IMPORT_RUNS } from '../modules/imports/import-runner.js';
import { defineExportJobs, EXPORT_RUNS } from '../modules/exports/organization-export.service.js';
import { defineRestoreJobs, RESTORE_RUNS } from '../modules/exports/organization-restore.service.js';
import { defineLifecycleJobs } from '../modules/organizations/organization-lifecycle.service.js';
import { defineTeamNoticeJobs } from '../modules/organizations/team-notice.js';
import type { JobDeps } from './job-deps.js';
import type { JobQueue } from './job-queue.js';
import type { TrackedRun } from './stalled-runs.js';

export type { JobDeps } from './job-deps.js';

/** Every module's background jobs, registered before the queue starts. */
export function defineJobs(jobs: JobQueue, deps: JobDeps): void {
  defineEmailJobs(jobs, deps);
  defineReportJobs(jobs, deps);
  defineWorkflowJobs(jobs, deps);
  defineScoringJobs(jobs, deps);
  defineImportJobs(jobs, deps);
  defineExportJobs(jobs, deps);
  defineRestoreJobs(jobs, deps);
  defineTeamNoticeJobs(jobs, deps);
  defineLifecycleJobs(jobs, deps);
}

/** Runs whose rows say RUNNING while their job works: the stalled-run sweep fails those whose job ended without them. */
export const TRACKED_RUNS: readonly TrackedRun[] = [EXPORT_RUNS, IMPORT_RUNS, RESTORE_RUNS];
