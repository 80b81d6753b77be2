import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL, usesPostgres } from './helpers/test-database.js';

/**
 * The postgres.js patch on a transaction's queue (src/db/patch-postgres-driver.mjs): statements
 * queued in a transaction go out together, not one per round trip, and nothing queued behind the
 * transaction's end is ever sent.
 */
describe.skipIf(!usesPostgres)('postgres.js transaction queue (patched)', () => {
  let sql: postgres.Sql;
  const suffix = randomBytes(4).toString('hex');
  // The first run of a text with parameters is described first: the connection takes nothing more
  // until it is answered, and what the transaction sends meanwhile waits in its queue.
  // Queries are sent when awaited, or at once with `execute()`.
  const describedFirst = (tx: postgres.TransactionSql) => tx.unsafe(`select pg_sleep(0.05), $1::int as described_${suffix}_${randomBytes(3).toString('hex')}`, [1]).execute();

  beforeAll(() => {
    sql = postgres(TEST_DATABASE_URL as string, { max: 1, onnotice: () => undefined });
  });
  afterAll(async () => {
    await sql.end({ timeout: 5 });
  });

  it('sends the queued statements on together while the process is busy', async () => {
    const blockMs = 500;
    let blockEnd = 0;
    const stamps = await sql.begin(async (tx) => {
      const first = describedFirst(tx);
      const queued = Array.from({ length: 20 }, (_, index) => tx.unsafe(`select clock_timestamp() as at, ${index} as i`).execute());
      await first;
      // The driver writes small statements at the next turn of the event loop (setImmediate).
      await new Promise((resolve) => setImmediate(resolve));
      // The event loop is held: only what was already sent to the server can run meanwhile.
      const until = Date.now() + blockMs;
      while (Date.now() < until) {
        // busy: no I/O callback runs
      }
      blockEnd = Date.now();
      return Promise.all(queued);
    });
    const ranDuringBlock = stamps.filter((rows) => new Date(rows[0]?.['at'] as string | Date).getTime() <= blockEnd).length;
    // Unpatched, one statement goes per round trip, each needing the event loop: 1 of 20 ran.
    expect(ranDuringBlock).toBe(20);
  });

  it('never sends what was queued behind the transaction\'s rollback', async () => {
    await sql.unsafe(`create temp table if not exists queue_probe_${suffix} (label text)`);
    let late: Promise<unknown> | undefined;
    const failed = sql
      .begin(async (tx) => {
        describedFirst(tx).catch(() => undefined);
        tx.unsafe(`insert into queue_probe_${suffix} values ('inside')`).execute().catch(() => undefined);
        // Queued after the ROLLBACK the failure below sends (the connection is still busy).
        setImmediate(() => {
          late = tx.unsafe(`insert into queue_probe_${suffix} values ('late')`).execute().catch(() => undefined);
        });
        throw new Error('the work failed');
      })
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(((await failed) as Error).message).toBe('the work failed');
    expect(late).toBeDefined();
    // Time for a statement sent after the rollback to have run, autocommitted.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const rows = await sql.unsafe(`select label from queue_probe_${suffix}`);
    expect(rows.map((row) => row['label'])).toEqual([]);
  });

  it('fails alone a statement that cannot be built while others are in flight; they get their own results', { timeout: 5000 }, async () => {
    const results: unknown[] = [];
    const outcome = await sql
      .begin(async (tx) => {
        const first = tx.unsafe('select pg_sleep(0.02), 1 as n').execute();
        // An undefined parameter fails while the statement is built, with the first one in flight.
        const unbuildable = tx.unsafe('select $1::int as n', [undefined as unknown as number]).execute();
        const third = tx.unsafe('select 3 as n').execute();
        results.push(await first.then((rows) => rows[0]?.['n']));
        results.push(await unbuildable.then(() => 'resolved', (error: { code?: string }) => error.code));
        results.push(await third.then((rows) => rows[0]?.['n']));
      })
      .then(
        () => 'committed',
        (error: { code?: string }) => error.code,
      );
    // Unpatched, the first statement got the build error and the third's reply went to the unbuilt one.
    expect(results).toEqual([1, 'UNDEFINED_VALUE', 3]);
    // The failed statement still fails the transaction.
    expect(outcome).toBe('UNDEFINED_VALUE');
  });
});
