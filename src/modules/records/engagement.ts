import { and, gte, isNull, lt, or, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';

export type Engagement = 'HOT' | 'WARM' | 'COOLING' | 'COLD';

/** Days since the last interaction below which a record is HOT, WARM, COOLING; COLD beyond. */
export interface EngagementThresholds {
  readonly hotDays: number;
  readonly warmDays: number;
  readonly coolingDays: number;
}

const DAY_MS = 24 * 3600 * 1000;

/** The colour Zoho shows next to a contact: how fresh the relationship is. */
export function engagementOf(lastActivityAt: Date | null, thresholds: EngagementThresholds, now = Date.now()): Engagement {
  if (!lastActivityAt) return 'COLD';
  const days = (now - lastActivityAt.getTime()) / DAY_MS;
  if (days < thresholds.hotDays) return 'HOT';
  if (days < thresholds.warmDays) return 'WARM';
  if (days < thresholds.coolingDays) return 'COOLING';
  return 'COLD';
}

/** The same classification as a WHERE condition on `column`, for filtering in SQL. */
export function engagementCondition(column: PgColumn, levels: readonly Engagement[], thresholds: EngagementThresholds, now = Date.now()): SQL | undefined {
  const since = (days: number): Date => new Date(now - days * DAY_MS);
  const conditions = levels.map((level) => {
    switch (level) {
      case 'HOT':
        return gte(column, since(thresholds.hotDays));
      case 'WARM':
        return and(lt(column, since(thresholds.hotDays)), gte(column, since(thresholds.warmDays)));
      case 'COOLING':
        return and(lt(column, since(thresholds.warmDays)), gte(column, since(thresholds.coolingDays)));
      case 'COLD':
        return or(isNull(column), lt(column, since(thresholds.coolingDays)));
      default: {
        const unreachable: never = level;
        return unreachable;
      }
    }
  });
  return or(...conditions);
}
