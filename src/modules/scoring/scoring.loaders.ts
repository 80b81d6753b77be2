import DataLoader from 'dataloader';
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { childrenLoader, loaderFamily } from '../../shared/loader-factories.js';
import { pageSize } from '../../shared/pagination.js';
import { topPerParent } from '../../shared/top-per-parent.js';
import { readScope } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import { activeRules } from './scoring.service.js';
import { recordScores, scoreHistory, scoringRuns, type RecordScoreRow, type ScoredModule, type ScoringRuleRow, type ScoringRunRow } from './scoring.table.js';

export function createScoringLoaders(db: Db, viewer: Viewer) {
  return {
    /** A record's stored score and breakdown (none until a rule first gave it points). */
    storedScore: new DataLoader<string, RecordScoreRow | null>(async (ids) => {
      const rows = await db
        .select()
        .from(recordScores)
        .where(and(eq(recordScores.organizationId, viewer.organizationId), inArray(recordScores.recordId, [...ids])));
      const byId = new Map(rows.map((row) => [row.recordId, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    /** The module's active rules, read once per request (decay is applied with them). */
    activeRules: new DataLoader<ScoredModule, ScoringRuleRow[]>((modules) => Promise.all(modules.map((module) => activeRules(db, viewer.organizationId, module)))),
    history: loaderFamily((args: { first: number }) =>
      childrenLoader((recordIds) =>
        topPerParent(db, scoreHistory, scoreHistory.recordId, recordIds, readScope(viewer, 'timeline', scoreHistory), [desc(scoreHistory.at), desc(scoreHistory.id)], pageSize(args.first, 20)),
      ),
    ),
    run: new DataLoader<string, ScoringRunRow | null>(async (ids) => {
      const rows = await db
        .select()
        .from(scoringRuns)
        .where(and(eq(scoringRuns.organizationId, viewer.organizationId), inArray(scoringRuns.id, [...ids])));
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
