import type { RecordKind } from '../records/record-store.js';
import { activities } from './activities.table.js';

/** Activities have no timeline of their own: they appear on the timeline of the record they are about. */
export const ACTIVITY: RecordKind<typeof activities> = { module: 'activities', table: activities, label: 'Activity', timelineType: null };
