import type { RecordKind } from '../records/record-store.js';
import { deals } from './deals.table.js';

export const DEAL: RecordKind<typeof deals> = { module: 'deals', table: deals, label: 'Deal', timelineType: 'DEAL' };
