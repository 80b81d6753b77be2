import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { rowsOf } from '../../db/database.js';
import type { Clock } from './clock.js';

/** What a caller's bucket says after a request asked for `requested` points. */
export interface BudgetAnswer {
  readonly allowed: boolean;
  readonly requested: number;
  /** Points left now (after this request, when it was allowed). */
  readonly remaining: number;
  readonly capacity: number;
  /** Points restored per second. */
  readonly restoreRate: number;
  /** When the bucket will be full again. */
  readonly resetAt: Date;
  /** When refused: seconds until `requested` points are available. */
  readonly retryAfterSeconds: number;
}

export interface BudgetSettings {
  readonly capacity: number;
  readonly restoreRate: number;
}

export interface BudgetStore {
  take(subject: string, requested: number): Promise<BudgetAnswer>;
}

function answer(settings: BudgetSettings, now: number, requested: number, available: number, allowed: boolean): BudgetAnswer {
  const remaining = Math.max(0, Math.floor(available));
  return {
    allowed,
    requested,
    remaining,
    capacity: settings.capacity,
    restoreRate: settings.restoreRate,
    resetAt: new Date(now + Math.ceil(((settings.capacity - available) / settings.restoreRate) * 1000)),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((requested - available) / settings.restoreRate)),
  };
}

const MAX_IDLE_BUCKETS = 10_000;

/**
 * Token buckets in this process' memory: no database round trip, but each API process keeps its
 * own, so N processes behind a load balancer allow up to N times the budget (see the README).
 */
export class MemoryBudgetStore implements BudgetStore {
  private readonly buckets = new Map<string, { available: number; at: number }>();
  private sweptAt = 0;
  constructor(
    private readonly settings: BudgetSettings,
    private readonly clock: Clock,
  ) {}

  async take(subject: string, requested: number): Promise<BudgetAnswer> {
    const now = this.clock.now();
    const bucket = this.buckets.get(subject);
    const available = bucket ? Math.min(this.settings.capacity, bucket.available + ((now - bucket.at) / 1000) * this.settings.restoreRate) : this.settings.capacity;
    const allowed = requested <= available;
    const left = allowed ? available - requested : available;
    this.buckets.set(subject, { available: left, at: now });
    // At most one sweep a second: with many active callers a sweep frees little.
    if (this.buckets.size > MAX_IDLE_BUCKETS && now - this.sweptAt > 1000) this.forgetFull(now);
    return answer(this.settings, now, requested, left, allowed);
  }

  /** A full bucket is the same as no bucket. */
  private forgetFull(now: number): void {
    this.sweptAt = now;
    for (const [subject, bucket] of this.buckets) {
      if (bucket.available + ((now - bucket.at) / 1000) * this.settings.restoreRate >= this.settings.capacity) this.buckets.delete(subject);
    }
  }
}

/**
 * One row per caller in PostgreSQL, refilled and charged by one atomic statement per request, so
 * every process sharing the database sees the same budget.
 */
export class PostgresBudgetStore implements BudgetStore {
  constructor(
    private readonly db: Db,
    private readonly settings: BudgetSettings,
    private readonly clock: Clock,
  ) {}

  async take(subject: string, requested: number): Promise<BudgetAnswer> {
    const now = this.clock.now();
    const at = new Date(now).toISOString();
    const { capacity, restoreRate } = this.settings;
    // One statement, the row locked by the upsert: concurrent requests of one caller queue on it.
    const refilled = sql`least(${capacity}::float8, b.available + greatest(0, extract(epoch from (${at}::timestamptz - b.updated_at))) * ${restoreRate}::float8)`;
    const result = await this.db.execute(sql`
      insert into query_budgets as b (subject, available, updated_at, last_allowed)
      values (${subject}, ${capacity}::float8 - least(${requested}::float8, ${capacity}::float8) * (${requested} <= ${capacity})::int, ${at}::timestamptz, ${requested} <= ${capacity})
      on conflict (subject) do update set
        available = case when ${refilled} >= ${requested} then ${refilled} - ${requested} else ${refilled} end,
        updated_at = excluded.updated_at,
        last_allowed = ${refilled} >= ${requested}
      returning available, last_allowed as allowed`);
    const [row] = rowsOf<{ available: number | string; allowed: boolean }>(result);
    if (!row) throw new Error('query budget statement returned no row');
    return answer(this.settings, now, requested, Number(row.available), row.allowed);
  }
}
