import type { Config } from '../../config.js';
import type { Db } from '../../db/database.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import type { Viewer } from './viewer.js';

/** What a service needs to act for a signed-in user. */
export interface Session {
  readonly db: Db;
  readonly viewer: Viewer;
  readonly config: Config;
  /** Durable background work (delayed, retried, run once across processes). */
  readonly jobs: JobQueue;
}
