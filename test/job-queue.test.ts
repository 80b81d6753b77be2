import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../src/db/transaction.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { JobQueue } from '../src/jobs/job-queue.js';
import { createLogger } from '../src/shared/logger.js';
import { createTestDatabase, usesPostgres, type TestDatabase } from './helpers/test-database.js';

const logger = createLogger('silent');
let testDatabase: TestDatabase;
const ran: { name: string; key: string; process: string }[] = [];
let failuresLeft = 0;
let failureMessage = 'not this time';
/** What each run of test.flaky was told: whether a failure would be retried. */
const attempts: { key: string; retryCount: number; lastAttempt: boolean }[] = [];

/** One "process": its own queue with the same handlers, as every API process has. */
function queueFor(database: Database, process: string): JobQueue {
  const jobs = new JobQueue(database, logger, { work: false, pollIntervalMs: 500 });
  jobs.define<{ key: string }>('test.record', async ({ key }) => {
    ran.push({ name: 'test.record', key, process });
  });
  jobs.define<{ key: string }>(
    'test.flaky',
    async ({ key }, info) => {
      attempts.push({ key, retryCount: info.retryCount, lastAttempt: info.lastAttempt });
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        throw new Error(failureMessage);
      }
      ran.push({ name: 'test.flaky', key, process });
    },
    { retryLimit: 3, retryDelaySeconds: 30, retryBackoff: false },
  );
  return jobs;
}

const runsOf = (key: string) => ran.filter((run) => run.key === key);

let jobs: JobQueue;
beforeAll(async () => {
  testDatabase = await createTestDatabase();
  jobs = queueFor(testDatabase.database, 'a');
  await jobs.start();
});

afterAll(async () => {
  await jobs.stop();
  await testDatabase.drop();
});

describe('the durable job queue', () => {
  it('creates a job sent in a transaction only if the transaction commits', async () => {
    const committed = randomUUID();
    const rolledBack = randomUUID();
    const { db } = testDatabase.database;
    await inTransaction(db, async (tx) => {
      await jobs.send('test.record', { key: committed }, { tx });
    });
    await expect(
      inTransaction(db, async (tx) => {
        await jobs.send('test.record', { key: rolledBack }, { tx });
        await tx.execute(sql`select 1`);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await jobs.runDue('test.record');
    expect(runsOf(committed)).toHaveLength(1);
    expect(runsOf(rolledBack)).toHaveLength(0);
  });

  it('waits for a delayed job until its time, which tests move forward instead of sleeping', async () => {
    const key = randomUUID();
    await jobs.send('test.record', { key }, { startAfter: 2 * 24 * 3600 });
    await jobs.runDue('test.record');
    expect(runsOf(key)).toHaveLength(0);
    await jobs.advanceTime(24 * 3600 * 1000);
    await jobs.runDue('test.record');
    expect(runsOf(key)).toHaveLength(0);
    await jobs.advanceTime(24 * 3600 * 1000 + 1000);
    await jobs.runDue('test.record');
    expect(runsOf(key)).toHaveLength(1);
  });

  it('retries a failed job after its delay and then succeeds once', async () => {
    const key = randomUUID();
    failuresLeft = 1;
    await jobs.send('test.flaky', { key });
    await jobs.runDue('test.flaky');
    expect(runsOf(key)).toHaveLength(0);
    await jobs.advanceTime(31_000);
    await jobs.runDue('test.flaky');
    expect(runsOf(key)).toHaveLength(1);
  });

  it('tells the handler which run is the last, and records a failure whatever bytes its message holds', async () => {
    const key = randomUUID();
    failuresLeft = 10;
    // A driver's message can quote binary parameters: jsonb refuses NUL, and such text can be long.
    failureMessage = `Failed query: insert\nparams: PK\u0003\u0004\u0000${'x'.repeat(10_000)}`;
    try {
      await jobs.send('test.flaky', { key });
      for (let run = 0; run < 6; run += 1) {
        await jobs.runDue('test.flaky');
        await jobs.advanceTime(31_000);
      }
    } finally {
      failuresLeft = 0;
      failureMessage = 'not this time';
    }
    // The first run and its three retries (retryLimit 3); only the fourth is told it is the last.
    expect(attempts.filter((attempt) => attempt.key === key)).toEqual([0, 1, 2, 3].map((retryCount) => ({ key, retryCount, lastAttempt: retryCount === 3 })));
    const result = await testDatabase.database.db.execute(sql`select state, output from pgboss.job where name = 'test.flaky' and data->>'key' = ${key}`);
    const [job] = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { state: string; output: { message: string } }[];
    expect(job?.state).toBe('failed');
    expect(job?.output.message.startsWith('Failed query: insert\nparams: PK\u0003\u0004x')).toBe(true);
    expect(job?.output.message.length).toBeLessThan(2100);
  });

  it('keeps waiting jobs across a restart', async () => {
    const key = randomUUID();
    await jobs.send('test.record', { key }, { startAfter: 3600 });
    await jobs.stop();
    jobs = queueFor(testDatabase.database, 'a');
    await jobs.start();
    await jobs.advanceTime(3601_000);
    await jobs.runDue('test.record');
    expect(runsOf(key)).toHaveLength(1);
  });

  it.skipIf(!usesPostgres)('runs each job exactly once when two processes take work at the same time', async () => {
    const other = await openDatabase({ url: testDatabase.url!, poolSize: 4 });
    const second = queueFor(other, 'b');
    await second.start();
    try {
      const keys = Array.from({ length: 60 }, () => randomUUID());
      for (const key of keys) await jobs.send('test.record', { key });
      await Promise.all([jobs.runDue('test.record'), second.runDue('test.record'), jobs.runDue('test.record'), second.runDue('test.record')]);
      for (const key of keys) expect(runsOf(key)).toHaveLength(1);
      expect(new Set(keys.flatMap((key) => runsOf(key).map((run) => run.process))).size).toBeGreaterThan(0);
    } finally {
      await second.stop();
      await other.close();
    }
  });
});
