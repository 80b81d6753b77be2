import { cachedRules } from '../records/automation-cache.js';
import { registerRecordHooks } from '../records/record-hooks.js';
import { describeChanges } from '../records/record-store.js';
import { isScoredModule } from './scored-modules.js';
import { activeRules, scoreRecords } from './scoring.service.js';

/**
 * Scores a lead, contact or deal in the transaction that writes it, whatever the path (API, form,
 * import, social capture, a workflow's update, a deal's stage move). An update that touches no
 * field any rule tests leaves the score alone.
 */
registerRecordHooks({
  order: 30,
  name: 'scoring',
  async afterWrite(tx, viewer, write) {
    if (!isScoredModule(write.module)) return;
    const module = write.module;
    const rules = await cachedRules(tx, viewer, `scoring:${module}`, (db) => activeRules(db, viewer.organizationId, module));
    if (rules.length === 0) return;
    if (write.kind === 'updated') {
      const tested = new Set(rules.flatMap((rule) => rule.fieldScores.map((score) => score.field)));
      if (!write.changes.some((change) => tested.has(change.field))) return;
    }
    const row = write.after as Readonly<Record<string, unknown>> & { id: string; ownerId: string };
    const reason = write.kind === 'created' ? 'Record created' : describeChanges(write.changes);
    await scoreRecords(tx, viewer.organizationId, write.module, [row.id], { actorId: viewer.userId, reason, rows: [row], rules, created: write.kind === 'created' });
  },
});
