import { registerRecordHooks } from '../records/record-hooks.js';
import { cachedRules } from '../records/automation-cache.js';
import type { Db } from '../../db/database.js';
import type { Viewer } from '../auth/viewer.js';
import { activeAssignmentRules, activeUserIds, assignOwner, assignOwners, type ActiveUsers } from './assign-owner.js';
import type { AssignedModule } from './assignment.table.js';

/** Active users kept with the rules: adding or deactivating a user moves the organisation's automation version. */
const activeUsers = (tx: Db, viewer: Viewer): ActiveUsers => () => cachedRules(tx, viewer, 'users:active', (db) => activeUserIds(db, viewer.organizationId));

const ASSIGNED = new Set<string>(['leads', 'contacts', 'accounts', 'deals']);

/**
 * Owners of new leads, contacts, accounts and deals, whatever created them (API, web form,
 * import, social capture, lead conversion). An owner the writer named explicitly wins.
 */
registerRecordHooks({
  order: 10,
  name: 'assignment',
  async beforeCreate(tx, viewer, draft) {
    if (draft.ownerGiven || !ASSIGNED.has(draft.module)) return;
    const module = draft.module as AssignedModule;
    const rules = await cachedRules(tx, viewer, `assignment:${module}`, (db) => activeAssignmentRules(db, viewer.organizationId, module));
    if (rules.length === 0) return;
    const owner = await assignOwner(tx, viewer.organizationId, module, draft.values, rules, activeUsers(tx, viewer));
    if (owner) draft.values['ownerId'] = owner;
  },
  async beforeCreateMany(tx, viewer, drafts) {
    const assigned = drafts.filter((draft) => !draft.ownerGiven && ASSIGNED.has(draft.module));
    for (const module of new Set(assigned.map((draft) => draft.module))) {
      const same = assigned.filter((draft) => draft.module === module);
      const rules = await cachedRules(tx, viewer, `assignment:${module}`, (db) => activeAssignmentRules(db, viewer.organizationId, module as AssignedModule));
      if (rules.length === 0) continue;
      const owners = await assignOwners(
        tx,
        viewer.organizationId,
        module as AssignedModule,
        same.map((draft) => draft.values),
        rules,
        activeUsers(tx, viewer),
      );
      same.forEach((draft, index) => {
        const owner = owners[index];
        if (owner) draft.values['ownerId'] = owner;
      });
    }
  },
});
