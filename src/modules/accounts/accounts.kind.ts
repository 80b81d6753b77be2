import type { RecordKind } from '../records/record-store.js';
import { accounts } from './accounts.table.js';

export const ACCOUNT: RecordKind<typeof accounts> = { module: 'accounts', table: accounts, label: 'Account', timelineType: 'ACCOUNT' };
