import { registerRecordHooks } from '../records/record-hooks.js';
import { assignOwner, assignOwners } from './assign-owner.js';
import type { AssignedModule } from './assignment.table.js';

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
    const owner = await assignOwner(tx, viewer.organizationId, draft.module as AssignedModule, draft.values);
    if (owner) draft.values['ownerId'] = owner;
  },
  async beforeCreateMany(tx, viewer, drafts) {
    const assigned = drafts.filter((draft) => !draft.ownerGiven && ASSIGNED.has(draft.module));
    for (const module of new Set(assigned.map((draft) => draft.module))) {
      const same = assigned.filter((draft) => draft.module === module);
      const owners = await assignOwners(
        tx,
        viewer.organizationId,
        module as AssignedModule,
        same.map((draft) => draft.values),
      );
      same.forEach((draft, index) => {
        const owner = owners[index];
        if (owner) draft.values['ownerId'] = owner;
      });
    }
  },
});
