import { notFound, type ModuleMention } from '../../shared/errors.js';
import type { RecordType } from '../../generated/graphql.js';
import { addressOf, type AddressValue } from '../../shared/address.js';
import type { Connection } from '../../shared/pagination.js';
import { signedIn, type GraphQLContext } from '../../server/context.js';
import type { AccountRow } from '../accounts/accounts.table.js';
import type { ActivityRow } from '../activities/activities.table.js';
import type { ContactRow } from '../contacts/contacts.table.js';
import type { DealRow } from '../deals/deals.table.js';
import type { LeadRow } from '../leads/leads.table.js';
import type { NoteRow } from '../notes/notes.table.js';
import { relatedRefOf, type RelatedColumns } from './related-record.js';
import type { TimelineEntryRow } from '../timeline/timeline.table.js';
import type { UserRow } from '../users/users.table.js';

interface RecordRow {
  readonly id: string;
  readonly ownerId: string;
  readonly createdById: string | null;
}

/** Loads a row a foreign key guarantees; its absence is a bug, not a client error. */
export async function mustExist<T>(loading: Promise<T | null>, what: string): Promise<T> {
  const row = await loading;
  if (row === null) throw new Error(`${what} is missing although a foreign key points at it`);
  return row;
}

/** Owner, creator and the user of any other user column, through the request's loader. */
export const userField =
  <Row>(column: (row: Row) => string) =>
  (row: Row, _args: unknown, ctx: GraphQLContext): Promise<UserRow> =>
    mustExist(signedIn(ctx).loaders.users.byId.load(column(row)), 'user');

/** The relation fields every CRM record type shares, through per-request loaders. */
export function recordFields(type: RecordType) {
  return {
    owner: userField((row: RecordRow) => row.ownerId),
    createdBy: (row: RecordRow, _args: unknown, ctx: GraphQLContext): Promise<UserRow | null> | null =>
      row.createdById ? signedIn(ctx).loaders.users.byId.load(row.createdById) : null,
    timeline: (row: RecordRow, args: { first: number; after?: string | null | undefined }, ctx: GraphQLContext): Promise<Connection<TimelineEntryRow>> =>
      signedIn(ctx).loaders.timeline.page({ first: args.first, after: args.after ?? null }).load(row.id),
    notes: (row: RecordRow, args: { first: number }, ctx: GraphQLContext): Promise<NoteRow[]> =>
      signedIn(ctx).loaders.notes.of({ type, first: args.first }).load(row.id),
    activities: (row: RecordRow, args: { first: number }, ctx: GraphQLContext): Promise<ActivityRow[]> =>
      signedIn(ctx).loaders.activities.of({ type, first: args.first }).load(row.id),
  };
}

/** The address columns of a lead, contact or account as one object. */
export const addressField = { address: (row: AddressValue): AddressValue => addressOf(row) };

/** `totalCount` of every connection is computed only when asked for. */
export const connectionFields = {
  totalCount: <T>(connection: Connection<T>): Promise<number> => connection.totalCount(),
};

export const fullName = (row: { firstName: string | null; lastName: string }): string =>
  [row.firstName, row.lastName].filter((part) => part && part !== '').join(' ');

/** A record the client asked for by id: absent or another organisation's is NOT_FOUND alike. */
export async function found<T>(loading: Promise<T | null>, label: string | ModuleMention): Promise<T> {
  const row = await loading;
  if (row === null) throw notFound(label);
  return row;
}

/** The record an activity or note is about, through the matching loader. */
export function relatedRecordField(
  row: RelatedColumns,
  _args: unknown,
  ctx: GraphQLContext,
  _info?: unknown,
): Promise<RelatedRecordRow | null> | null {
  const ref = relatedRefOf(row);
  if (!ref) return null;
  const { loaders } = signedIn(ctx);
  switch (ref.type) {
    case 'LEAD':
      return loaders.leads.byId.load(ref.id);
    case 'CONTACT':
      return loaders.contacts.byId.load(ref.id);
    case 'ACCOUNT':
      return loaders.accounts.byId.load(ref.id);
    case 'DEAL':
      return loaders.deals.byId.load(ref.id);
    default: {
      const unreachable: never = ref.type;
      return unreachable;
    }
  }
}

export type RelatedRecordRow = LeadRow | ContactRow | AccountRow | DealRow;

/** Which GraphQL type a record row is (rows carry no type name of their own). */
export function recordTypeName(row: RelatedRecordRow): 'Lead' | 'Contact' | 'Account' | 'Deal' {
  if ('stageId' in row) return 'Deal';
  if ('convertedAt' in row) return 'Lead';
  if ('department' in row) return 'Contact';
  return 'Account';
}
