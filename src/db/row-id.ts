import { randomFillSync } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';

/**
 * Ids of new rows: UUID version 7 (RFC 9562), the creation time in milliseconds first, then a
 * counter and random bits. A table's primary key (organization_id, id) and the indexes that lead
 * with a new record's id then grow at their right edge instead of at a random page, so an import
 * of a million rows touches a few hot pages per index instead of the whole index (and the WAL
 * carries fewer full-page images). Ids stay unguessable enough for nothing to rely on it: access is
 * checked on every read; the time an id shows is the record's `createdAt` anyway.
 */

const POOL_IDS = 256;
const pool = Buffer.alloc(16 * POOL_IDS);
let taken = POOL_IDS;
let lastMs = 0;
let counter = 0;

export function newRowId(): string {
  if (taken === POOL_IDS) {
    randomFillSync(pool);
    taken = 0;
  }
  const at = taken * 16;
  taken += 1;
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    // A random start within the first half leaves room to count up within the millisecond.
    counter = (pool[at + 6] ?? 0) & 0x07;
    counter = (counter << 8) | (pool[at + 7] ?? 0);
  } else if (counter < 0xfff) {
    counter += 1;
  } else {
    // 4,096 ids in one millisecond: the next ones borrow the following millisecond, keeping the order.
    lastMs += 1;
    counter = 0;
  }
  const ms = lastMs;
  pool.writeUIntBE(ms, at, 6);
  pool[at + 6] = 0x70 | (counter >> 8);
  pool[at + 7] = counter & 0xff;
  pool[at + 8] = 0x80 | ((pool[at + 8] ?? 0) & 0x3f);
  const hex = pool.toString('hex', at, at + 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * `newRowId` in SQL, for rows a statement makes from others (`insert ... select`): the clock time
 * in milliseconds over the first six bytes of a random UUID (whose variant bits stay), and version
 * 7's nibble over four more random bits.
 */
export const sqlRowId = (): SQL =>
  sql`encode(set_byte(overlay(uuid_send(gen_random_uuid()) placing substring(int8send((extract(epoch from clock_timestamp()) * 1000)::bigint) from 3) from 1 for 6), 6, 112 | (get_byte(uuid_send(gen_random_uuid()), 6) & 15)), 'hex')::uuid`;
