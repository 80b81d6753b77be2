import type { RecordKind } from '../records/record-store.js';
import { contacts } from './contacts.table.js';

export const CONTACT: RecordKind<typeof contacts> = { module: 'contacts', table: contacts, label: 'Contact', timelineType: 'CONTACT' };
