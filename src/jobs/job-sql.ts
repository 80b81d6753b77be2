import { sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Database, type Db } from '../db/database.js';

/** pg-boss's "bring your own connection" interface. */
export interface JobSqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * pg-boss hands JSON payloads over as objects; both drivers accept them as text bound to its
 * `::jsonb` casts, which keeps the two drivers' own object serialisation out of the picture.
 */
function bindable(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date || Array.isArray(value) || Buffer.isBuffer(value)) return value;
  return typeof value === 'object' ? JSON.stringify(value) : value;
}

/** pg-boss's own statements over the pool: multi-statement texts (its schema install) have no values. */
export function databaseExecutor(database: Database): JobSqlExecutor {
  const { driver } = database;
  if (driver.kind === 'postgres') {
    return {
      async executeSql(text, values) {
        if (values && values.length > 0) return { rows: [...(await driver.sql.unsafe(text, values.map(bindable) as never[]))] };
        // Texts without values are pg-boss's multi-statement scripts, some with their own BEGIN:
        // postgres.js runs those only on a connection reserved for them.
        const reserved = await driver.sql.reserve();
        try {
          const results = (await reserved.unsafe(text).simple()) as unknown;
          const last = Array.isArray(results) && Array.isArray(results[results.length - 1]) ? (results[results.length - 1] as unknown[]) : (results as unknown[]);
          return { rows: [...last] };
        } finally {
          reserved.release();
        }
      },
    };
  }
  return {
    async executeSql(text, values) {
      if (values && values.length > 0) return { rows: (await driver.pglite.query(text, values.map(bindable))).rows };
      const results = await driver.pglite.exec(text);
      return { rows: results[results.length - 1]?.rows ?? [] };
    },
  };
}

/** `$1`-numbered text as a drizzle SQL, so a job can be sent inside an open drizzle transaction. */
function numberedToSql(text: string, values: readonly unknown[]): SQL {
  const parts = text.split(/\$(\d+)/);
  const chunks: SQL[] = [];
  parts.forEach((part, index) => {
    if (index % 2 === 0) chunks.push(sql.raw(part));
    else chunks.push(sql`${bindable(values[Number(part) - 1])}`);
  });
  return sql.join(chunks);
}

/** Runs pg-boss's statements in the caller's transaction: the job exists only if the transaction commits. */
export function transactionExecutor(tx: Db): JobSqlExecutor {
  return {
    async executeSql(text, values) {
      return { rows: rowsOf<unknown>(await tx.execute(numberedToSql(text, values ?? []))) };
    },
  };
}
