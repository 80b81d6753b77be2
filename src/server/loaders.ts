import type { Db } from '../db/database.js';
import { createAccountLoaders } from '../modules/accounts/accounts.loaders.js';
import { createActivityLoaders } from '../modules/activities/activities.loaders.js';
import type { Viewer } from '../modules/auth/viewer.js';
import { createContactLoaders } from '../modules/contacts/contacts.loaders.js';
import { createDealLoaders } from '../modules/deals/deals.loaders.js';
import { createLeadLoaders } from '../modules/leads/leads.loaders.js';
import { createNoteLoaders } from '../modules/notes/notes.loaders.js';
import { createPipelineLoaders } from '../modules/pipelines/pipelines.loaders.js';
import { createTimelineLoaders } from '../modules/timeline/timeline.loaders.js';
import { createUserLoaders } from '../modules/users/users.loaders.js';
import { createSignalLoaders } from '../modules/signals/signals.loaders.js';
import { createEmailLoaders } from '../modules/emails/emails.loaders.js';

/** Every relation a resolver follows, batched and scoped to the viewer; built anew per request. */
export function createLoaders(db: Db, viewer: Viewer) {
  return {
    users: createUserLoaders(db, viewer),
    pipelines: createPipelineLoaders(db, viewer),
    accounts: createAccountLoaders(db, viewer),
    contacts: createContactLoaders(db, viewer),
    leads: createLeadLoaders(db, viewer),
    deals: createDealLoaders(db, viewer),
    activities: createActivityLoaders(db, viewer),
    notes: createNoteLoaders(db, viewer),
    timeline: createTimelineLoaders(db, viewer),
    signals: createSignalLoaders(db, viewer),
    emails: createEmailLoaders(db, viewer),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
