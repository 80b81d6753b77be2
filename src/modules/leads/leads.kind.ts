import type { RecordKind } from '../records/record-store.js';
import { leads } from './leads.table.js';

export const LEAD: RecordKind<typeof leads> = { module: 'leads', table: leads, label: 'Lead', timelineType: 'LEAD' };
