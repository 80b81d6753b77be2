import { sql, type SQL } from 'drizzle-orm';
import { parse } from 'csv-parse';
import { rowsOf, type Db } from '../../db/database.js';
import { badInput, conflict } from '../../shared/errors.js';
import type { RestoredTableEntry } from './exports.table.js';
import type { ArchiveManifest, OpenArchive } from './restore-archive.js';
import { SKIPPED_TABLES } from './table-dump.js';

/**
 * Writing an organisation archive into another organisation, generically: every table comes
 * from the catalogue, rows keep their ids under the new organisation's id (every key starts with
 * organization_id, so references stay intact), tables are written parents first (from the
 * foreign keys), and nothing runs on the rows (no hooks, workflows, assignment, scoring or
 * events): they are history. The caller's transaction makes it all or nothing.
 */

/** Archive files never written back, and why (the README lists them too). */
export const NOT_RESTORED: Readonly<Record<string, string>> = {
  login_identities: 'sign-in identities are global (one organisation per email) and passwords are not in a backup',
  invitations: 'invitation tokens are not in a backup',
  api_keys: 'API keys are credentials: create new ones',
  organization_exports: 'the archives themselves are not in a backup',
  organization_restores: 'restore records belong to the organisation that ran them',
};
/** The new organisation's own rows stay in these (its own history) beside the restored ones. */
const KEEP_OWN_ROWS = new Set(['audit_log', 'notifications']);
/** An organisation holding any of these is not new: a restore would mix two organisations. */
const RECORD_TABLES = ['leads', 'contacts', 'accounts', 'deals', 'activities', 'notes', 'email_messages', 'sales_signals', 'api_keys'] as const;
/** The new organisation's identity and subscription: kept, not taken from the backup. */
const OWN_ORGANIZATION_COLUMNS = new Set(['id', 'name', 'plan', 'seats', 'created_at', 'paused_at', 'period_ends_at', 'pending_subscription', 'deletion_scheduled_at', 'access_version', 'automation_version', 'webhook_secret']);
const BATCH_ROWS = 500;

type Cell = string | null;
type Row = Record<string, Cell>;

interface ColumnInfo {
  readonly name: string;
  /** format_type(), e.g. numeric(14,2), text[], timestamp(3) with time zone. */
  readonly type: string;
  readonly isArray: boolean;
}

interface ForeignKey {
  readonly child: string;
  readonly parent: string;
  readonly childColumns: readonly string[];
  readonly parentColumns: readonly string[];
}

const unqualified = (name: string): string => name.replace(/^public\./, '').replace(/^"|"$/g, '');

async function columnsOf(tx: Db, table: string): Promise<Map<string, ColumnInfo>> {
  const rows = rowsOf<{ name: string; type: string; is_array: boolean }>(
    await tx.execute(sql`
      select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, t.typcategory = 'A' as is_array
      from pg_attribute a join pg_type t on t.oid = a.atttypid
      where a.attrelid = ${`public.${table}`}::regclass and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''`),
  );
  return new Map(rows.map((row) => [row.name, { name: row.name, type: row.type, isArray: row.is_array }]));
}

async function publicTables(tx: Db): Promise<Set<string>> {
  const rows = rowsOf<{ name: string }>(await tx.execute(sql`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`));
  return new Set(rows.map((row) => row.name));
}

async function foreignKeys(tx: Db): Promise<ForeignKey[]> {
  const rows = rowsOf<{ child: string; parent: string; child_columns: string[]; parent_columns: string[] }>(
    await tx.execute(sql`
      select c.conrelid::regclass::text as child, c.confrelid::regclass::text as parent,
        array(select a.attname::text from unnest(c.conkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.i) as child_columns,
        array(select a.attname::text from unnest(c.confkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n order by k.i) as parent_columns
      from pg_constraint c where c.contype = 'f' and c.connamespace = 'public'::regnamespace`),
  );
  return rows.map((row) => ({ child: unqualified(row.child), parent: unqualified(row.parent), childColumns: row.child_columns, parentColumns: row.parent_columns }));
}

/** Parents before children (self references aside), ties in name order. */
function parentsFirst(tables: readonly string[], keys: readonly ForeignKey[]): string[] {
  const set = new Set(tables);
  const waiting = new Map(tables.map((table) => [table, new Set<string>()]));
  for (const key of keys) if (key.child !== key.parent && set.has(key.child) && set.has(key.parent)) waiting.get(key.child)?.add(key.parent);
  const order: string[] = [];
  while (waiting.size > 0) {
    const ready = [...waiting.entries()].filter(([, parents]) => parents.size === 0).map(([table]) => table).sort();
    if (ready.length === 0) throw new Error(`Foreign keys form a cycle among ${[...waiting.keys()].join(', ')}`);
    for (const table of ready) {
      order.push(table);
      waiting.delete(table);
      for (const parents of waiting.values()) parents.delete(table);
    }
  }
  return order;
}

/** An organisation that may be restored into: no CRM record, no API key, no user but the one restoring. */
export async function assertFreshOrganization(tx: Db, organizationId: string, callerId: string): Promise<void> {
  const held: string[] = [];
  for (const table of RECORD_TABLES) {
    const found = rowsOf(await tx.execute(sql`select 1 from ${sql.identifier(table)} where organization_id = ${organizationId} limit 1`));
    if (found.length > 0) held.push(table);
  }
  const others = rowsOf(await tx.execute(sql`select 1 from users where organization_id = ${organizationId} and id <> ${callerId} limit 1`));
  if (others.length > 0) held.push('users');
  if (held.length > 0) throw conflict(`This organisation is not new (it holds ${held.join(', ')}): restore into a newly signed-up organisation`, { holds: held });
}

interface CsvTable {
  readonly header: readonly string[];
  /** The data rows as objects; an unquoted empty cell is null, `""` an empty string. */
  readonly rows: AsyncGenerator<Row>;
}

/** One archive file, read as it streams (its entry is closed when the rows end or are left). */
async function openCsv(archive: OpenArchive, file: string): Promise<CsvTable> {
  const source = await archive.open(file);
  const parser = source.pipe(parse({ cast: (value, context) => (value === '' && !context.quoting ? null : value) }));
  const records = (parser as AsyncIterable<Cell[]>)[Symbol.asyncIterator]();
  const first = await records.next();
  const header = first.done ? [] : first.value.map((cell) => cell ?? '');
  async function* rows(): AsyncGenerator<Row> {
    try {
      for (let next = await records.next(); !next.done; next = await records.next()) {
        const row: Row = {};
        header.forEach((column, index) => (row[column] = next.value[index] ?? null));
        yield row;
      }
    } finally {
      parser.destroy();
      source.destroy();
    }
  }
  return { header, rows: rows() };
}

/** The table's columns named by the file's header; a column this database lacks refuses the archive. */
async function columnsFor(tx: Db, table: string, file: string, header: readonly string[]): Promise<ColumnInfo[]> {
  const own = await columnsOf(tx, table);
  const unknown = header.filter((column) => !own.has(column));
  if (unknown.length > 0) throw badInput('file', `${file} has columns this Pulse does not have (${unknown.join(', ')})`);
  return header.map((column) => own.get(column) as ColumnInfo);
}

/**
 * A text cell of `x` cast to its column's type: values travel as text, so numbers, JSON and
 * timestamps stay exact. Arrays are written as JSON arrays (row_to_json's form).
 */
function typedCell(column: ColumnInfo): SQL {
  const cell = sql`x.${sql.identifier(column.name)}`;
  return column.isArray ? sql`case when ${cell} is null then null else array(select json_array_elements_text(${cell}::json))::${sql.raw(column.type)} end` : sql`${cell}::${sql.raw(column.type)}`;
}

/** A list of ids as one parameter (an empty list works too). */
const idList = (ids: readonly string[]): SQL => sql`(select value::uuid from json_array_elements_text(${JSON.stringify(ids)}::json))`;

const textRecord = (columns: readonly ColumnInfo[]): SQL => sql.join(columns.map((column) => sql`${sql.identifier(column.name)} text`), sql`, `);

function insertStatement(table: string, columns: readonly ColumnInfo[], rows: readonly Row[]): SQL {
  const names = sql.join(columns.map((column) => sql.identifier(column.name)), sql`, `);
  const values = sql.join(columns.map(typedCell), sql`, `);
  return sql`insert into ${sql.identifier(table)} (${names}) select ${values} from json_to_recordset(${JSON.stringify(rows)}::json) as x(${textRecord(columns)})`;
}

/** Rows of a self-referencing table (roles, territories), parents first. */
function parentRowsFirst(rows: readonly Row[], keys: readonly ForeignKey[]): Row[] {
  const self = keys.map((key) => ({ child: key.childColumns.find((column) => column !== 'organization_id'), parent: key.parentColumns.find((column) => column !== 'organization_id') }));
  const ids = (row: Row, side: 'child' | 'parent'): Cell[] => self.map((pair) => (pair[side] ? (row[pair[side]] ?? null) : null));
  const present = new Set(rows.flatMap((row) => ids(row, 'parent')));
  const placed = new Set<Cell>();
  const ordered: Row[] = [];
  let pending = [...rows];
  while (pending.length > 0) {
    const ready = pending.filter((row) => ids(row, 'child').every((ref) => ref === null || placed.has(ref) || !present.has(ref)));
    // A cycle cannot be ordered: written as is, the foreign key refuses it and the restore fails.
    const take = ready.length > 0 ? ready : pending;
    for (const row of take) {
      ordered.push(row);
      for (const id of ids(row, 'parent')) placed.add(id);
    }
    pending = pending.filter((row) => !take.includes(row));
  }
  return ordered;
}

export interface RestoreTarget {
  readonly organizationId: string;
  readonly callerId: string;
  readonly callerEmail: string;
}

export interface RestoreResult {
  readonly tables: RestoredTableEntry[];
  readonly placeholderUsers: number;
  /** The exported user who is the restoring administrator (same email), if any. */
  readonly matchedUserId: string | null;
}

/**
 * Writes the (verified) archive into the target organisation in `tx`. Users: the exported user
 * with the caller's email becomes the caller (every reference to it is rewritten to the caller's
 * id); every other exported user is restored with its id as an inactive placeholder without a
 * password (records keep their owners; an administrator can reassign them or invite the person
 * again). The organisation's configuration from sign-up (profiles, roles, pipelines, ...) is
 * replaced by the archive's; the caller keeps the built-in profile they had, now the restored one.
 */
export async function restoreArchive(tx: Db, archive: OpenArchive, manifest: ArchiveManifest, target: RestoreTarget): Promise<RestoreResult> {
  if (manifest.organizationId === target.organizationId) throw conflict('This archive is this organisation\'s own backup: restore it into a new organisation');
  await assertFreshOrganization(tx, target.organizationId, target.callerId);
  const known = await publicTables(tx);
  const files = new Map(manifest.files.map((file) => [file.table, file.file]));
  for (const table of files.keys()) {
    if (!known.has(table) || SKIPPED_TABLES.has(table)) throw badInput('file', `The archive holds a table this Pulse does not have (${table}): restore it on the Pulse version that exported it or a later one`);
  }
  const restored = [...files.keys()].filter((table) => table !== 'organizations' && NOT_RESTORED[table] === undefined);
  // The users first: who the caller is in the archive decides how ids are rewritten.
  const exportedUsers: Row[] = [];
  const usersFile = files.get('users');
  const usersCsv = usersFile ? await openCsv(archive, usersFile) : null;
  if (usersCsv) for await (const row of usersCsv.rows) exportedUsers.push(row);
  const matched = exportedUsers.find((row) => (row['email'] ?? '').toLowerCase() === target.callerEmail.toLowerCase());
  const matchedUserId = matched?.['id'] ?? null;
  const rewrites: [string, string][] = [[manifest.organizationId, target.organizationId]];
  if (matchedUserId) rewrites.push([matchedUserId, target.callerId]);
  // Ids are random UUIDs: replacing their text wherever it appears (keys, JSON payloads) is exact.
  const rewrite = (cell: Cell): Cell => {
    if (cell === null) return null;
    let text = cell;
    for (const [from, to] of rewrites) if (text.includes(from)) text = text.split(from).join(to);
    return text;
  };

  const [caller] = rowsOf<{ profile_id: string; role_id: string | null; built_in: string | null }>(
    await tx.execute(sql`select u.profile_id, u.role_id, p.built_in from users u join profiles p on p.organization_id = u.organization_id and p.id = u.profile_id where u.organization_id = ${target.organizationId} and u.id = ${target.callerId}`),
  );
  if (!caller) throw conflict('The restoring user is no longer in this organisation');
  const own = {
    profiles: rowsOf<{ id: string }>(await tx.execute(sql`select id from profiles where organization_id = ${target.organizationId}`)).map((row) => row.id),
    roles: rowsOf<{ id: string }>(await tx.execute(sql`select id from roles where organization_id = ${target.organizationId}`)).map((row) => row.id),
  };
  const keys = await foreignKeys(tx);
  const order = parentsFirst(restored, keys);
  // Sign-up's configuration makes way for the archive's (profiles and roles once the caller has moved to the restored ones).
  const replaced = order.filter((table) => !KEEP_OWN_ROWS.has(table) && table !== 'users' && table !== 'profiles' && table !== 'roles');
  for (const table of [...replaced].reverse()) await tx.execute(sql`delete from ${sql.identifier(table)} where organization_id = ${target.organizationId}`);

  const restoredAt = new Date().toISOString();
  const counts: RestoredTableEntry[] = [];
  let placeholderUsers = 0;
  for (const table of order) {
    const file = files.get(table) as string;
    const csv = table === 'users' && usersCsv ? { header: usersCsv.header, rows: null } : await openCsv(archive, file);
    const tableColumns = await columnsFor(tx, table, file, csv.header);
    const selfKeys = keys.filter((key) => key.child === table && key.parent === table);
    let written = 0;
    let batch: Row[] = [];
    const flush = async (): Promise<void> => {
      const rows = selfKeys.length > 0 ? parentRowsFirst(batch, selfKeys) : batch;
      for (let start = 0; start < rows.length; start += BATCH_ROWS) await tx.execute(insertStatement(table, tableColumns, rows.slice(start, start + BATCH_ROWS)));
      written += rows.length;
      batch = [];
    };
    const source = csv.rows ?? exportedUsers;
    for await (const exported of source) {
      if (table === 'users') {
        if (exported['id'] === matchedUserId) continue;
        placeholderUsers += 1;
      }
      const row: Row = {};
      for (const column of tableColumns) row[column.name] = rewrite(exported[column.name] ?? null);
      if (table === 'users') {
        row['active'] = 'false';
        row['deactivated_at'] ??= restoredAt;
      }
      batch.push(row);
      // Self-referencing tables are ordered whole (they are small: roles, territories).
      if (batch.length >= BATCH_ROWS && selfKeys.length === 0) await flush();
    }
    await flush();
    counts.push({ table, rows: written });
  }

  // The caller moves to the restored profile of their built-in kind and to their archived role
  // (or the top one); then sign-up's profiles and roles go, each kind in one statement.
  const [profile] = files.has('profiles')
    ? rowsOf<{ id: string }>(
        await tx.execute(sql`select id from profiles where organization_id = ${target.organizationId} and built_in = ${caller.built_in} and id not in ${idList(own.profiles)} order by created_at limit 1`),
      )
    : [];
  let roleId = caller.role_id;
  if (files.has('roles')) {
    const [top] = rowsOf<{ id: string }>(await tx.execute(sql`select id from roles where organization_id = ${target.organizationId} and parent_id is null and id not in ${idList(own.roles)} order by created_at limit 1`));
    roleId = matched ? rewrite(matched['role_id'] ?? null) : (top?.id ?? null);
  }
  await tx.execute(sql`update users set profile_id = ${profile?.id ?? caller.profile_id}, role_id = ${roleId} where organization_id = ${target.organizationId} and id = ${target.callerId}`);
  if (profile) await tx.execute(sql`delete from profiles where organization_id = ${target.organizationId} and id in ${idList(own.profiles)}`);
  if (files.has('roles')) await tx.execute(sql`delete from roles where organization_id = ${target.organizationId} and id in ${idList(own.roles)}`);

  const organizationFile = files.get('organizations');
  if (organizationFile) {
    const csv = await openCsv(archive, organizationFile);
    const settings = (await columnsFor(tx, 'organizations', organizationFile, csv.header)).filter((column) => !OWN_ORGANIZATION_COLUMNS.has(column.name));
    for await (const exported of csv.rows) {
      if (settings.length === 0) break;
      const assignments = sql.join(settings.map((column) => sql`${sql.identifier(column.name)} = ${typedCell(column)}`), sql`, `);
      const row: Row = {};
      for (const column of settings) row[column.name] = rewrite(exported[column.name] ?? null);
      await tx.execute(sql`update organizations set ${assignments} from json_to_record(${JSON.stringify(row)}::json) as x(${textRecord(settings)}) where organizations.id = ${target.organizationId}`);
    }
  }
  // Access summaries and automation rules (with the active users) are cached by these versions: every process reads them again.
  await tx.execute(sql`update organizations set access_version = access_version + 1, automation_version = automation_version + 1 where id = ${target.organizationId}`);
  return { tables: counts, placeholderUsers, matchedUserId };
}
