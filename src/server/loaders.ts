import type { Db } from '../db/database.js';
import { createAccessControlLoaders } from '../modules/access-control/access-control.loaders.js';
import { createAccountLoaders } from '../modules/accounts/accounts.loaders.js';
import { createActivityLoaders } from '../modules/activities/activities.loaders.js';
import type { Viewer } from '../modules/auth/viewer.js';
import { createContactLoaders } from '../modules/contacts/contacts.loaders.js';
import { createCustomizationLoaders } from '../modules/customization/customization.loaders.js';
import { createDealLoaders } from '../modules/deals/deals.loaders.js';
import { createEmailLoaders } from '../modules/emails/emails.loaders.js';
import { createLeadLoaders } from '../modules/leads/leads.loaders.js';
import { createNoteLoaders } from '../modules/notes/notes.loaders.js';
import { createReportLoaders } from '../modules/reports/reports.loaders.js';
import { createPipelineLoaders } from '../modules/pipelines/pipelines.loaders.js';
import { createScoringLoaders } from '../modules/scoring/scoring.loaders.js';
import { createSignalLoaders } from '../modules/signals/signals.loaders.js';
import { createTerritoryLoaders } from '../modules/territories/territories.loaders.js';
import { createTimelineLoaders } from '../modules/timeline/timeline.loaders.js';
import { createUserLoaders } from '../modules/users/users.loaders.js';
import { createWorkflowLoaders } from '../modules/workflows/workflows.loaders.js';

const factories = {
  users: createUserLoaders,
  pipelines: createPipelineLoaders,
  accounts: createAccountLoaders,
  contacts: createContactLoaders,
  leads: createLeadLoaders,
  deals: createDealLoaders,
  activities: createActivityLoaders,
  notes: createNoteLoaders,
  timeline: createTimelineLoaders,
  signals: createSignalLoaders,
  emails: createEmailLoaders,
  customization: createCustomizationLoaders,
  reports: createReportLoaders,
  workflows: createWorkflowLoaders,
  scoring: createScoringLoaders,
  territories: createTerritoryLoaders,
  accessControl: createAccessControlLoaders,
};

type Factories = typeof factories;

/** Every relation a resolver follows, batched and scoped to the viewer; built anew per request. */
export type Loaders = { readonly [K in keyof Factories]: ReturnType<Factories[K]> };

/**
 * Each module's loaders are made on first use: a request (or a long-lived subscription, which
 * resolves every event with fresh loaders) pays only for the relations it follows.
 */
export function createLoaders(db: Db, viewer: Viewer): Loaders {
  const made = new Map<keyof Factories, unknown>();
  const loaders = {};
  for (const key of Object.keys(factories) as (keyof Factories)[]) {
    Object.defineProperty(loaders, key, {
      enumerable: true,
      get: () => {
        if (!made.has(key)) made.set(key, factories[key](db, viewer));
        return made.get(key);
      },
    });
  }
  return loaders as Loaders;
}
