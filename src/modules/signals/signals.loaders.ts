import type { Db } from '../../db/database.js';
import { childrenLoader, loaderFamily } from '../../shared/loader-factories.js';
import type { Viewer } from '../auth/viewer.js';
import { signalsOf } from './signals-feed.service.js';
import { salesSignals } from './signals.table.js';

export function createSignalLoaders(db: Db, viewer: Viewer) {
  return {
    /** Newest signals of leads or of contacts. */
    of: loaderFamily(({ type, first }: { type: 'LEAD' | 'CONTACT'; first: number }) =>
      childrenLoader((ids) => signalsOf(db, viewer, type === 'LEAD' ? salesSignals.leadId : salesSignals.contactId, ids, first)),
    ),
  };
}
