import { contacts } from '../contacts/contacts.table.js';
import { deals } from '../deals/deals.table.js';
import { leads } from '../leads/leads.table.js';
import type { TimelineRecordType } from '../timeline/timeline.service.js';
import type { ScoredModule } from './scoring.table.js';

/** What scoring needs to know of each module it scores. */
export interface ScoredTable {
  readonly table: typeof leads | typeof contacts | typeof deals;
  readonly timelineType: TimelineRecordType;
  /** Signals are recorded on leads and contacts; deals score on fields only. */
  readonly signalColumn: 'lead_id' | 'contact_id' | null;
}

export const SCORED: Record<ScoredModule, ScoredTable> = {
  leads: { table: leads, timelineType: 'LEAD', signalColumn: 'lead_id' },
  contacts: { table: contacts, timelineType: 'CONTACT', signalColumn: 'contact_id' },
  deals: { table: deals, timelineType: 'DEAL', signalColumn: null },
};

export const SCORED_MODULES = Object.keys(SCORED) as ScoredModule[];

export const isScoredModule = (module: string): module is ScoredModule => module in SCORED;
