import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/database.js';
import type { RecordType } from '../../generated/graphql.js';
import { DomainError } from '../../shared/errors.js';
import { ACCOUNT } from '../accounts/accounts.kind.js';
import type { Viewer } from '../auth/viewer.js';
import { CONTACT } from '../contacts/contacts.kind.js';
import { DEAL } from '../deals/deals.kind.js';
import { LEAD } from '../leads/leads.kind.js';
import { assertReference } from './record-store.js';
import type { TimelineRecordType } from '../timeline/timeline.service.js';

/** The column of an activity or note that points at a record of each type. */
export const RELATED_COLUMN = { LEAD: 'leadId', CONTACT: 'contactId', ACCOUNT: 'accountId', DEAL: 'dealId' } as const;

export type RelatedColumnName = (typeof RELATED_COLUMN)[RecordType];

export interface RelatedRef {
  readonly type: RecordType;
  readonly id: string;
}

export interface RelatedColumns {
  readonly leadId: string | null;
  readonly contactId: string | null;
  readonly accountId: string | null;
  readonly dealId: string | null;
}

const KINDS = { LEAD, CONTACT, ACCOUNT, DEAL } as const;

/** Checks the referenced record exists for the viewer (live) and returns the columns to store. */
export async function relatedColumnsFor(tx: Db, viewer: Viewer, ref: RelatedRef, field = 'relatedTo'): Promise<RelatedColumns> {
  const kind = KINDS[ref.type];
  if (!kind) throw new DomainError('BAD_USER_INPUT', `${field}.type is not a record type`, { field });
  await assertReference(tx, viewer, kind as never, ref.id, `${field}.id`);
  return {
    leadId: ref.type === 'LEAD' ? ref.id : null,
    contactId: ref.type === 'CONTACT' ? ref.id : null,
    accountId: ref.type === 'ACCOUNT' ? ref.id : null,
    dealId: ref.type === 'DEAL' ? ref.id : null,
  };
}

/** The record an activity or note points at, if any. */
export function relatedRefOf(row: RelatedColumns): { type: TimelineRecordType; id: string } | null {
  if (row.dealId) return { type: 'DEAL', id: row.dealId };
  if (row.accountId) return { type: 'ACCOUNT', id: row.accountId };
  if (row.contactId) return { type: 'CONTACT', id: row.contactId };
  if (row.leadId) return { type: 'LEAD', id: row.leadId };
  return null;
}

export function relatedColumnOf<T extends Record<RelatedColumnName, PgColumn>>(table: T, type: RecordType): PgColumn {
  return table[RELATED_COLUMN[type]];
}
