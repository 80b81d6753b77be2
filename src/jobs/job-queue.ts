import PgBoss from 'pg-boss';
import type { Database, Db } from '../db/database.js';
import type { Logger } from '../shared/logger.js';
import { databaseExecutor, transactionExecutor } from './job-sql.js';
import { APP_ROLE } from '../db/tenant-database.js';

/** pg-boss keeps its tables in a schema of its own, installed and upgraded by pg-boss itself. */
export const JOB_SCHEMA = 'pgboss';

export interface JobInfo {
  readonly id: string;
  readonly name: string;
  /** 0 on the first run. */
  readonly retryCount: number;
  /** No retry follows a failure of this run (its retries are used up): the handler's last chance to record the failure. */
  readonly lastAttempt: boolean;
}

export type JobHandler<T> = (data: T, job: JobInfo) => Promise<void>;

export interface JobDefinition {
  /** Retries after a failure; with `retryBackoff` the delay doubles each time. */
  readonly retryLimit?: number;
  readonly retryDelaySeconds?: number;
  readonly retryBackoff?: boolean;
  /** A run that takes longer is taken as crashed and retried. */
  readonly expireInSeconds?: number;
}

export interface SendOptions {
  /** Not before this time (or this many seconds from now). */
  readonly startAfter?: Date | number;
  /** Send inside this transaction: the job exists only if it commits. */
  readonly tx?: Db;
}

export interface JobQueueOptions {
  /** Whether this process runs jobs, or only sends them (several API processes may share the work). */
  readonly work: boolean;
  readonly pollIntervalMs: number;
}

interface Registered {
  readonly handler: JobHandler<unknown>;
  readonly definition: JobDefinition;
}

/**
 * The time a sweep works to: `now` in ms, and `shift`, how far the queue's clock runs ahead of the
 * real one (tests advance it): a job the sweep sends to start at `t` is sent for `t - shift`.
 */
export interface SweepClock {
  readonly now: number;
  readonly shift: number;
}

/** Work a job-running process does every minute (e.g. sending the jobs of actions soon due). */
export type Sweep = (clock: SweepClock) => Promise<unknown>;

const SWEEP_EVERY_MS = 60_000;

/**
 * The durable job queue: pg-boss over the application's own database (PostgreSQL or PGlite, through
 * its `db` adapter). Jobs survive restarts; pg-boss hands each job to one worker at a time across
 * processes (SKIP LOCKED), retries failures with backoff and retries runs that expired.
 */
export class JobQueue {
  private readonly boss: PgBoss;
  private readonly handlers = new Map<string, Registered>();
  /** This process's pg-boss worker per job name (only when it runs jobs). */
  private readonly workers = new Map<string, string>();
  private readonly sweeps = new Map<string, Sweep>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<unknown> | null = null;
  /** How far `advanceTime` moved this queue's clock (tests). */
  private shiftMs = 0;
  private started = false;

  constructor(
    private readonly database: Database,
    private readonly logger: Logger,
    private readonly options: JobQueueOptions,
  ) {
    this.boss = new PgBoss({
      db: databaseExecutor(database),
      schema: JOB_SCHEMA,
      // Cron schedules are not used: scheduled work is sent as delayed jobs by the modules.
      schedule: false,
      supervise: options.work,
    });
    this.boss.on('error', (error: unknown) => this.logger.error('job queue error', { error }));
  }

  /** Registers a job's handler; call before `start`. */
  define<T>(name: string, handler: JobHandler<T>, definition: JobDefinition = {}): void {
    if (this.started) throw new Error(`job ${name} defined after the queue started`);
    if (this.handlers.has(name)) throw new Error(`job ${name} defined twice`);
    this.handlers.set(name, { handler: handler as JobHandler<unknown>, definition });
  }

  /** Registers a sweep, run every minute where jobs run and by `runDue`; call before `start`. */
  defineSweep(name: string, sweep: Sweep): void {
    if (this.started) throw new Error(`sweep ${name} defined after the queue started`);
    if (this.sweeps.has(name)) throw new Error(`sweep ${name} defined twice`);
    this.sweeps.set(name, sweep);
  }

  /** Runs every sweep once, one after the other; a failing sweep is logged and the others still run. Tests call it directly too. */
  async runSweeps(): Promise<void> {
    const clock = { now: Date.now() + this.shiftMs, shift: this.shiftMs };
    for (const [name, sweep] of this.sweeps) {
      try {
        await sweep(clock);
      } catch (error) {
        this.logger.warn('sweep failed; it runs again within a minute', { sweep: name, error });
      }
    }
  }

  async start(): Promise<void> {
    await this.boss.start();
    // Jobs are also sent inside tenant transactions (\`send(..., { tx })\`), which run as pulse_app:
    // that role may add jobs, and nothing more (pg-boss' schema exists only once pg-boss started).
    await databaseExecutor(this.database).executeSql(`
      DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_ROLE}') AND NOT has_table_privilege('${APP_ROLE}', '${JOB_SCHEMA}.job', 'INSERT') THEN
          GRANT USAGE ON SCHEMA ${JOB_SCHEMA} TO ${APP_ROLE};
          GRANT SELECT ON ${JOB_SCHEMA}.queue TO ${APP_ROLE};
          GRANT SELECT, INSERT ON ${JOB_SCHEMA}.job TO ${APP_ROLE};
        END IF;
      END $$`);
    for (const [name, { definition }] of this.handlers) {
      const queue: PgBoss.Queue = {
        name,
        retryLimit: definition.retryLimit ?? 5,
        retryDelay: definition.retryDelaySeconds ?? 10,
        retryBackoff: definition.retryBackoff ?? true,
        expireInSeconds: definition.expireInSeconds ?? 15 * 60,
      };
      // createQueue is idempotent for an existing queue; updateQueue applies changed retry settings.
      await this.boss.createQueue(name, queue);
      await this.boss.updateQueue(name, queue);
    }
    this.started = true;
    if (!this.options.work) return;
    if (this.sweeps.size > 0) {
      this.sweepTimer = setInterval(() => {
        // One sweep at a time: ticks do not pile up behind a slow one.
        if (this.sweeping) return;
        this.sweeping = this.runSweeps().finally(() => {
          this.sweeping = null;
        });
      }, SWEEP_EVERY_MS);
      this.sweepTimer.unref();
    }
    const pollingIntervalSeconds = Math.max(0.5, this.options.pollIntervalMs / 1000);
    for (const name of this.handlers.keys()) {
      const worker = await this.boss.work<unknown>(name, { pollingIntervalSeconds, batchSize: 1, includeMetadata: true }, async (jobs) => {
        for (const job of jobs) await this.run(name, job, false);
      });
      this.workers.set(name, worker);
    }
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    await this.sweeping;
    this.workers.clear();
    await this.boss.stop({ graceful: true, wait: true, timeout: 10_000 });
  }

  async send<T extends object>(name: string, data: T, options: SendOptions = {}): Promise<string | null> {
    if (!this.handlers.has(name)) throw new Error(`job ${name} is not defined`);
    const sendOptions: PgBoss.SendOptions = {};
    // Always an absolute time: pg-boss binds a relative one to a timestamptz cast, which PGlite refuses.
    if (options.startAfter !== undefined) sendOptions.startAfter = options.startAfter instanceof Date ? options.startAfter : new Date(Date.now() + Math.max(0, options.startAfter) * 1000);
    if (options.tx) sendOptions.db = transactionExecutor(options.tx);
    return this.boss.send(name, data, sendOptions);
  }

  /**
   * Asks this process's worker for `name` to look for jobs now rather than at its next poll (a
   * job a request just queued and committed, e.g. an import). A job another process takes first,
   * or a process that runs no jobs, is unaffected.
   */
  wake(name: string): void {
    const worker = this.workers.get(name);
    if (worker !== undefined && this.started) this.boss.notifyWorker(worker);
  }

  /** Sends many jobs of one name in one statement (e.g. a schedule per record), in `tx` when given. */
  async sendMany<T extends object>(name: string, items: readonly { data: T; startAfter: Date }[], options: Pick<SendOptions, 'tx'> = {}): Promise<void> {
    if (!this.handlers.has(name)) throw new Error(`job ${name} is not defined`);
    if (items.length === 0) return;
    const jobs = items.map((item) => ({ name, data: item.data, startAfter: item.startAfter }));
    await this.boss.insert(jobs, options.tx ? { db: transactionExecutor(options.tx) } : {});
  }

  /** Cancels waiting jobs (e.g. a scheduled action whose trigger no longer holds). */
  async cancel(name: string, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.boss.cancel(name, [...ids]);
  }

  /**
   * Runs every job of `names` that is due now, in this process, and returns how many ran: tests and
   * scripts use it instead of waiting for a worker's next poll.
   */
  async runDue(...names: string[]): Promise<number> {
    // The sweeps first: they send the jobs of work that has come due (at this queue's clock).
    await this.runSweeps();
    let ran = 0;
    for (const name of names.length > 0 ? names : [...this.handlers.keys()]) {
      for (;;) {
        const jobs = await this.boss.fetch<unknown>(name, { batchSize: 50, includeMetadata: true });
        if (jobs.length === 0) break;
        for (const job of jobs) {
          await this.run(name, job, true);
          ran += 1;
        }
      }
    }
    return ran;
  }

  /**
   * Moves every waiting job `ms` closer to its start: tests advance time this way rather than
   * sleep. Jobs hold their start time in the database; sweeps see the moved clock (`SweepClock`).
   */
  async advanceTime(ms: number): Promise<void> {
    this.shiftMs += Math.round(ms);
    await databaseExecutor(this.database).executeSql(
      `update ${JOB_SCHEMA}.job set start_after = start_after - ($1::bigint * interval '1 millisecond') where state in ('created', 'retry')`,
      [Math.round(ms)],
    );
  }

  private async run(name: string, job: PgBoss.JobWithMetadata<unknown>, settle: boolean): Promise<void> {
    const registered = this.handlers.get(name);
    if (!registered) throw new Error(`job ${name} has no handler`);
    const { id, retryCount } = job;
    try {
      await registered.handler(job.data, { id, name, retryCount, lastAttempt: retryCount >= job.retryLimit });
      if (settle) await this.boss.complete(name, id);
    } catch (error) {
      this.logger.warn('job failed', { job: name, id, retryCount, error });
      const message = failureText(error);
      // A worker's failure is recorded by pg-boss from the thrown error (a new one: the original
      // may carry bytes jsonb refuses in its message or cause); a fetched job's by `fail`.
      if (!settle) throw new Error(message);
      await this.boss.fail(name, id, { message });
    }
  }
}

const FAILURE_TEXT_LIMIT = 2000;

/**
 * A failure as pg-boss stores it (jsonb): without NUL characters, which jsonb refuses (a driver's
 * message can quote binary parameters), and short (such a message can hold a whole archive chunk).
 */
function failureText(error: unknown): string {
  // eslint-disable-next-line no-control-regex -- NUL is exactly what must go.
  const text = (error instanceof Error ? error.message : String(error)).replace(/\u0000/g, '');
  return text.length > FAILURE_TEXT_LIMIT ? `${text.slice(0, FAILURE_TEXT_LIMIT)}...` : text;
}
