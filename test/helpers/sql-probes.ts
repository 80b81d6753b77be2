import type { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../src/db/database.js';

/** The rows of a raw statement, whichever driver ran it. */
export async function rows<T>(db: Db, query: ReturnType<typeof sql>): Promise<T[]> {
  return rowsOf<T>(await db.execute(query));
}

/** The SQLSTATE of a failed statement (drizzle wraps the driver's error). */
export function sqlState(error: unknown): string | undefined {
  const withCause = error as { code?: string; cause?: { code?: string } };
  return withCause.cause?.code ?? withCause.code;
}

/** The error `work` fails with; a test that expected a refusal fails if it succeeds. */
export async function failure(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected it to fail');
}
