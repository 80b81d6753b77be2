import { gte, lte, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import type { SortKey } from '../../shared/pagination.js';
import type { Viewer } from '../auth/viewer.js';
import { contacts } from '../contacts/contacts.table.js';
import { deals } from '../deals/deals.table.js';
import { leads } from '../leads/leads.table.js';
import { DAY_MS, decayAnchor, decayPoints } from './score-compute.js';
import { SCORED } from './scored-modules.js';
import { activeRules } from './scoring.service.js';
import type { ScoredModule, ScoringRuleRow } from './scoring.table.js';

/**
 * Sorting and filtering a list by score: the stored score less each decaying rule's loss, in SQL,
 * at one instant bound as a parameter, so the cursor's JS value and the SQL agree. Without
 * decaying rules this is the plain indexed `score` column.
 */
export function effectiveScoreSql(module: ScoredModule, rules: readonly ScoringRuleRow[], now: number): SQL {
  const table = SCORED[module].table;
  const decaying = rules.filter((rule) => rule.decay);
  if (decaying.length === 0) return sql`${table.score}`;
  const anchor =
    module === 'deals' ? sql`${deals.updatedAt}` : module === 'leads' ? sql`coalesce(${leads.lastActivityAt}, ${leads.createdAt})` : sql`coalesce(${contacts.lastActivityAt}, ${contacts.createdAt})`;
  const idleSeconds = sql`greatest(0, extract(epoch from (${new Date(now).toISOString()}::timestamptz - ${anchor})))`;
  const losses = decaying.map((rule) => {
    const decay = rule.decay;
    if (!decay) return sql`0`;
    const loss = sql`(${decay.points}::int * floor(${idleSeconds} / ${(decay.everyDays * DAY_MS) / 1000}::numeric))::int`;
    return decay.maxPoints === null ? loss : sql`least(${decay.maxPoints}::int, ${loss})`;
  });
  return sql`(${table.score} - ${sql.join(losses, sql` - `)})`;
}

export interface ScoreListing {
  readonly conditions: (SQL | undefined)[];
  /** Present when the list is sorted by score. */
  readonly sort?: { key: Omit<SortKey, 'direction'>; value: (row: Record<string, unknown>) => unknown };
}

/** The score filter and sort of a module's list; reads the rules only when either is asked for. */
export async function scoreListing(
  db: Db,
  viewer: Viewer,
  module: ScoredModule,
  filter: { scoreMin?: number | null | undefined; scoreMax?: number | null | undefined } | null | undefined,
  sortByScore: boolean,
): Promise<ScoreListing> {
  const min = filter?.scoreMin ?? null;
  const max = filter?.scoreMax ?? null;
  if (min === null && max === null && !sortByScore) return { conditions: [] };
  const rules = await activeRules(db, viewer.organizationId, module);
  const now = Date.now();
  const expression = effectiveScoreSql(module, rules, now);
  const conditions = [min === null ? undefined : gte(expression, min), max === null ? undefined : lte(expression, max)];
  if (!sortByScore) return { conditions };
  const value = (row: Record<string, unknown>): number => {
    const anchor = decayAnchor(module, row as { createdAt: Date; updatedAt: Date; lastActivityAt?: Date | null });
    return (row['score'] as number) - decayPoints(rules, anchor, now).reduce((sum, decay) => sum + decay.points, 0);
  };
  return { conditions, sort: { key: { column: expression, nullable: false, decode: Number }, value } };
}
