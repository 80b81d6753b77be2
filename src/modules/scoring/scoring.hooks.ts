import { cachedRules } from '../records/automation-cache.js';
import { registerRecordHooks } from '../records/record-hooks.js';
import { describeChangedFields } from '../timeline/change-summary.js';
import { computeScore } from './score-compute.js';
import { isScoredModule } from './scored-modules.js';
import type { ScoredModule, ScoringRuleRow } from './scoring.table.js';
import { activeRules, newRecordScore, publishNewRecordScore, scoreRecords, type NewRecordScore } from './scoring.service.js';
import type { Db } from '../../db/database.js';
import type { Viewer } from '../auth/viewer.js';
import { asInserted, type CreateDraft } from '../records/record-hooks.js';

/** The module's active scoring rules, from the rule cache. */
const rulesOf = (tx: Db, viewer: Viewer, module: ScoredModule): Promise<readonly ScoringRuleRow[]> =>
  cachedRules(tx, viewer, `scoring:${module}`, (db) => activeRules(db, viewer.organizationId, module));

async function scoreDraft(tx: Db, viewer: Viewer, draft: CreateDraft): Promise<void> {
  if (!isScoredModule(draft.module)) return;
  // Hooks replace `values` when they change it: the same object was scored already.
  if (draft.state.get('scoring') === draft.values) return;
  const module = draft.module;
  const rules = await rulesOf(tx, viewer, module);
  if (rules.length === 0) return;
  draft.values = { ...draft.values, score: computeScore(rules, asInserted(viewer, draft), new Map()).score };
  draft.state.set('scoring', draft.values);
}

/**
 * Scores a lead, contact or deal in the transaction that writes it, whatever the path (API, form,
 * import, social capture, a workflow's update, a deal's stage move). An update that touches no
 * field any rule tests leaves the score alone.
 */
registerRecordHooks({
  order: 30,
  name: 'scoring',
  async wantsCreated(tx, viewer, module) {
    if (!isScoredModule(module)) return false;
    return (await rulesOf(tx, viewer, module)).length > 0;
  },
  // A new record is inserted with its score (a record has no signals before it exists), so the
  // score written after the insert rarely has to update the row again: it does only when the
  // inserted row scores otherwise (a column default, a date criterion).
  beforeCreate: scoreDraft,
  async afterWrite(tx, viewer, write) {
    if (!isScoredModule(write.module)) return;
    const module = write.module;
    const rules = await rulesOf(tx, viewer, module);
    if (rules.length === 0) return;
    const written = write.kind === 'created' ? (write.state?.get(NEW_SCORE) as NewRecordScore | undefined) : undefined;
    if (written) {
      const row = write.after as Readonly<Record<string, unknown>> & { id: string; ownerId: string };
      if (publishNewRecordScore(tx, viewer.organizationId, module, row, rules, written, viewer.userId)) return;
      // The inserted row scores otherwise than its values did: rescored against what was stored with it.
      await scoreRecords(tx, viewer.organizationId, module, [row.id], { actorId: viewer.userId, reason: 'Record created', rows: [row], rules });
      return;
    }
    if (write.kind === 'updated') {
      const tested = new Set(rules.flatMap((rule) => rule.fieldScores.map((score) => score.field)));
      if (!write.changes.some((change) => tested.has(change.field))) return;
    }
    const row = write.after as Readonly<Record<string, unknown>> & { id: string; ownerId: string };
    const reason = write.kind === 'created' ? 'Record created' : describeChangedFields(write.changes);
    await scoreRecords(tx, viewer.organizationId, write.module, [row.id], { actorId: viewer.userId, reason, rows: [row], rules, created: write.kind === 'created' });
  },
  // Imports: new records of a batch scored together (scoreRecords' statements are per call, not per record).
  async afterWriteMany(tx, viewer, writes) {
    for (const module of new Set(writes.map((write) => write.module))) {
      if (!isScoredModule(module)) continue;
      const rules = await rulesOf(tx, viewer, module);
      if (rules.length === 0) continue;
      const tested = new Set(rules.flatMap((rule) => rule.fieldScores.map((score) => score.field)));
      const created: (Readonly<Record<string, unknown>> & { id: string; ownerId: string })[] = [];
      for (const write of writes) {
        if (write.module !== module) continue;
        const row = write.after as Readonly<Record<string, unknown>> & { id: string; ownerId: string };
        if (write.kind === 'created') created.push(row);
        else if (write.changes.some((change) => tested.has(change.field))) {
          await scoreRecords(tx, viewer.organizationId, module, [row.id], { actorId: viewer.userId, reason: describeChangedFields(write.changes), rows: [row], rules });
        }
      }
      if (created.length > 0) await scoreRecords(tx, viewer.organizationId, module, created.map((row) => row.id), { actorId: viewer.userId, reason: 'Record created', rows: created, rules, created: true });
    }
  },
});

/** A single create's score, written with its insert (`CreateDraft.companions`): its event follows in `afterWrite`. */
const NEW_SCORE = 'scoring:new';

/**
 * Workflow rules (order 40) see the new record's score in their criteria and apply their field
 * updates before the insert: the draft is scored again on what will be inserted. A single create
 * writes its stored score in its insert's statement; a batch (imports) scores its records together
 * after their insert (`afterWriteMany`).
 */
registerRecordHooks({
  order: 45,
  name: 'scoring-after-workflows',
  async beforeCreate(tx, viewer, draft) {
    if (!isScoredModule(draft.module)) return;
    const module = draft.module;
    const rules = await rulesOf(tx, viewer, module);
    if (rules.length === 0) return;
    const written = newRecordScore(tx, viewer.organizationId, module, draft.id, asInserted(viewer, draft), rules, viewer.userId);
    draft.values = { ...draft.values, score: written.result.score };
    draft.companions.push(...written.writes);
    draft.state.set(NEW_SCORE, written);
  },
  async beforeCreateMany(tx, viewer, drafts) {
    for (const draft of drafts) await scoreDraft(tx, viewer, draft);
  },
});
