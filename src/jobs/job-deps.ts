import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../shared/logger.js';
import type { JobHandler, JobInfo } from './job-queue.js';

/**
 * What job handlers are given. There is no privileged handle here on purpose: every job acts for
 * the organisation named in its data, so its SQL runs under row-level security exactly like a
 * request's (`forOrganization`, src/db/tenant-database.ts). A handler that truly had to cross
 * tenancy would be handed the owner's handle explicitly, with the reason next to it; none does.
 */
export interface JobDeps {
  /** The row-level-secured handle of one organisation (the one the job names). */
  readonly forOrganization: (organizationId: string) => Db;
  readonly config: Config;
  readonly logger: Logger;
}

/** A handler of a job that belongs to one organisation, given that organisation's handle. */
export type TenantJobHandler<T extends { readonly organizationId: string }> = (db: Db, data: T, job: JobInfo) => Promise<void>;

/**
 * Wraps a tenant job's handler: the handle is taken at entry from the job's own `organizationId`,
 * so the handler cannot act for another organisation by passing the wrong id down. A job without
 * a uuid there fails (the handle refuses it) rather than run unscoped.
 */
export function tenantJob<T extends { readonly organizationId: string }>(deps: Pick<JobDeps, 'forOrganization'>, handler: TenantJobHandler<T>): JobHandler<T> {
  return (data, job) => handler(deps.forOrganization(data.organizationId), data, job);
}
