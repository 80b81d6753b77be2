import { registerRecordHooks } from '../records/record-hooks.js';
import { accountTerritories, placeAccount, placeChild, territoryTree } from './territory-placement.js';
import { matchTerritories } from './territory-match.js';

/**
 * Accounts fall into territories by their fields when created or changed; contacts and deals
 * take their account's territories (and follow it when it moves or when they change account).
 */
registerRecordHooks({
  order: 20,
  name: 'territories',
  async beforeCreate(tx, viewer, draft) {
    if (draft.module === 'accounts') {
      draft.values['territoryIds'] = matchTerritories(await territoryTree(tx, viewer.organizationId), draft.values);
    } else if (draft.module === 'contacts' || draft.module === 'deals') {
      draft.values['territoryIds'] = await accountTerritories(tx, viewer.organizationId, draft.values['accountId'] as string | null | undefined);
    }
  },
  // Imports: the tree and each account's territories read once per batch.
  async beforeCreateMany(tx, viewer, drafts) {
    let tree: Awaited<ReturnType<typeof territoryTree>> | undefined;
    const byAccount = new Map<string, string[]>();
    for (const draft of drafts) {
      if (draft.module === 'accounts') {
        tree ??= await territoryTree(tx, viewer.organizationId);
        draft.values['territoryIds'] = matchTerritories(tree, draft.values);
      } else if (draft.module === 'contacts' || draft.module === 'deals') {
        const accountId = draft.values['accountId'] as string | null | undefined;
        const key = accountId ?? '';
        let territories = byAccount.get(key);
        if (!territories) {
          territories = await accountTerritories(tx, viewer.organizationId, accountId);
          byAccount.set(key, territories);
        }
        draft.values['territoryIds'] = [...territories];
      }
    }
  },
  // Created records are placed before their insert (beforeCreate); afterWrite handles updates only.
  wantsCreated: () => Promise.resolve(false),
  async afterWrite(tx, viewer, write) {
    if (write.kind !== 'updated') return;
    const after = write.after as Readonly<Record<string, unknown>> & { id: string; territoryIds: string[] };
    if (write.module === 'accounts') {
      await placeAccount(tx, viewer.organizationId, after);
    } else if ((write.module === 'contacts' || write.module === 'deals') && write.changes.some((change) => change.field === 'accountId')) {
      await placeChild(tx, viewer.organizationId, write.module, after.id, (after['accountId'] as string | null) ?? null);
    }
  },
});
