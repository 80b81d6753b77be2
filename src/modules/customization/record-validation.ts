import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { anyOf } from '../../db/any-of.js';
import { insertRows } from '../../db/bulk-insert.js';
import type { Db } from '../../db/database.js';
import { isOpenTransaction } from '../../db/transaction.js';
import { badInput, conflict, DomainError, labelled } from '../../shared/errors.js';
import { ACCOUNT } from '../accounts/accounts.kind.js';
import { ACTIVITY } from '../activities/activities.kind.js';
import { readScope } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import { CONTACT } from '../contacts/contacts.kind.js';
import { DEAL } from '../deals/deals.kind.js';
import { LEAD } from '../leads/leads.kind.js';
import { nameOf, type RecordKind, type RecordTable } from '../records/record-store.js';
import { normaliseValue, storedColumns, type FieldType } from './field-types.js';
import { customFieldValues, type CustomFieldRow } from './customization.table.js';
import { loadModuleConfig, type ModuleConfig } from './module-config.js';
import { STANDARD_FIELDS, STANDARD_PICKLISTS, type CustomizableModule, type PicklistName, type StandardField } from './standard-fields.js';

/**
 * THE validation of organisation-defined rules on a record write: custom field values (types,
 * required, defaults, picklists, lookups), the organisation's standard picklists and its required
 * standard fields. Every write path calls it: the GraphQL mutations, web forms, and later imports
 * and workflow field updates. Uniqueness is left to the database (`syncCustomFieldValues`).
 */

export type CustomValues = Record<string, unknown>;

const KINDS: Readonly<Record<CustomizableModule, RecordKind<RecordTable>>> = {
  leads: LEAD,
  contacts: CONTACT,
  accounts: ACCOUNT,
  deals: DEAL,
  activities: ACTIVITY,
};

export interface RecordWrite {
  /** Standard field values after the module's own rules; absent keys are not written. */
  readonly values: Record<string, unknown>;
  /** `customFields` as the client sent it (a JSON object), or undefined when not sent. */
  readonly customFields?: unknown;
  /** The record this one is made from (lead conversion): its picklist values pass even when retired since. */
  readonly inheritedFrom?: object | undefined;
}

export interface ExistingRecord {
  readonly row: object;
  readonly customFields: CustomValues;
}

export interface ValidatedWrite {
  /** `values` with standard picklists spelled as the organisation's list spells them. */
  readonly values: Record<string, unknown>;
  /** The record's complete custom values after the write; undefined when they do not change. */
  readonly customFields: CustomValues | undefined;
  /** Null when the write touched nothing the organisation's configuration rules. */
  readonly config: ModuleConfig | null;
}

const missing = (value: unknown): boolean => value === null || value === undefined || (Array.isArray(value) && value.length === 0);

/**
 * A list with kinds (activity types and statuses) keeps a record's value and its kind in step:
 * a value sets the kind (a "Site visit" is a MEETING), a kind alone takes the first active value
 * of that kind unless the record's value already has it; a value of another kind than the one
 * sent is refused.
 */
function settleKind(config: ModuleConfig, field: StandardField, result: Record<string, unknown>, existing: ExistingRecord | undefined): void {
  const definition = STANDARD_PICKLISTS[field.picklist as PicklistName];
  const list = config.picklists.get(field.picklist as PicklistName);
  if (!definition.kinds || !list) return;
  const kindField = definition.kinds.field;
  const value = result[field.apiName];
  const kind = result[kindField];
  const before = existing?.row as Record<string, unknown> | undefined;
  if (typeof value === 'string') {
    const entry = list.values.find((candidate) => candidate.value.toLowerCase() === value.trim().toLowerCase());
    // Not on the list: the membership check names the allowed values.
    if (!entry?.kind) return;
    if (typeof kind === 'string' && kind !== entry.kind) {
      throw badInput(field.apiName, `${field.apiName} "${entry.value}" is of kind ${entry.kind}, not ${kind}`, { kind: entry.kind });
    }
    result[kindField] = entry.kind;
    return;
  }
  if (typeof kind !== 'string') return;
  const current = before ? list.values.find((candidate) => candidate.value === before[field.apiName]) : undefined;
  if (current?.kind === kind) {
    delete result[field.apiName];
    return;
  }
  const first = list.values.find((candidate) => candidate.kind === kind && !candidate.retired);
  if (!first) throw badInput(kindField, `${field.label}: no value of kind ${kind} is offered`);
  result[field.apiName] = first.value;
}

function checkStandardPicklists(config: ModuleConfig, values: Record<string, unknown>, existing: ExistingRecord | undefined, inherited: object | undefined): Record<string, unknown> {
  const result = { ...values };
  for (const field of STANDARD_FIELDS[config.module]) {
    if (field.picklist) settleKind(config, field, result, existing);
    const value = result[field.apiName];
    if (!field.picklist || typeof value !== 'string') continue;
    // A record keeps a retired value it already has.
    if (existing && (existing.row as Record<string, unknown>)[field.apiName] === value) continue;
    if (inherited && (inherited as Record<string, unknown>)[field.apiName] === value) continue;
    const list = config.picklists.get(field.picklist);
    if (!list) continue;
    const wanted = value.trim().toLowerCase();
    const match = list.values.find((entry) => entry.value.toLowerCase() === wanted);
    const { reserved } = STANDARD_PICKLISTS[field.picklist];
    const allowed = (): string[] => list.active.filter((entry) => !reserved.includes(entry));
    if (!match || reserved.includes(match.value)) {
      throw badInput(field.apiName, `${field.apiName} must be one of: ${allowed().join(', ')}`, { allowed: allowed() });
    }
    if (match.retired) throw badInput(field.apiName, `${field.apiName}: "${match.value}" is retired; use one of: ${allowed().join(', ')}`, { allowed: allowed() });
    result[field.apiName] = match.value;
  }
  return result;
}

/**
 * The organisation-configured checks of a new record's standard fields (its picklists and required
 * fields), for callers that validate many rows against one configuration (imports).
 */
export function checkConfiguredCreate(config: ModuleConfig, values: Record<string, unknown>): Record<string, unknown> {
  const checked = checkStandardPicklists(config, values, undefined, undefined);
  checkRequiredStandard(config, checked, 'create');
  return checked;
}

function checkRequiredStandard(config: ModuleConfig, values: Record<string, unknown>, mode: 'create' | 'update'): void {
  for (const apiName of config.required) {
    const value = values[apiName];
    if (mode === 'update' ? value === null || (Array.isArray(value) && value.length === 0) : missing(value)) {
      const label = STANDARD_FIELDS[config.module].find((field) => field.apiName === apiName)?.label ?? apiName;
      throw badInput(apiName, `${label} is required for every ${config.singular}`);
    }
  }
}

/** A LOOKUP value a write names: checked to exist (live, same organisation, visible) before it is stored. */
export interface LookupReference {
  readonly field: CustomFieldRow;
  readonly id: string;
}

/** The error a missing lookup target gives, on every write path. */
export function lookupNotFound(field: CustomFieldRow): DomainError {
  const kind = KINDS[field.lookupModule as CustomizableModule];
  return new DomainError('NOT_FOUND', labelled`customFields.${field.apiName}: ${nameOf(kind)} not found`, { field: `customFields.${field.apiName}` });
}

/**
 * The references among `references` whose record the viewer cannot see (another organisation's,
 * deleted, out of reach): one statement per target module, however many references.
 */
export async function missingLookups(tx: Db, viewer: Viewer, references: readonly LookupReference[]): Promise<LookupReference[]> {
  const byModule = new Map<CustomizableModule, Set<string>>();
  for (const reference of references) {
    const module = reference.field.lookupModule as CustomizableModule;
    byModule.set(module, (byModule.get(module) ?? new Set()).add(reference.id));
  }
  const found = new Set<string>();
  for (const [module, ids] of byModule) {
    const kind = KINDS[module];
    const rows = await tx
      .select({ id: kind.table.id })
      .from(kind.table as PgTable)
      .where(and(readScope(viewer, kind.module, kind.table), anyOf(kind.table.id, ids, 'uuid'), isNull(kind.table.deletedAt)));
    for (const row of rows) found.add(`${module}:${String(row.id)}`);
  }
  return references.filter((reference) => !found.has(`${reference.field.lookupModule}:${reference.id}`));
}

export interface NormalisedCustomValues {
  /** As `validateCustomFieldValues` returns them. */
  readonly values: CustomValues | undefined;
  /** The LOOKUP values among them, still to be checked with `missingLookups`. */
  readonly lookups: LookupReference[];
}

/**
 * Everything `validateCustomFieldValues` checks that needs no database: types, picklist
 * membership, defaults and required fields. Bulk writers (imports) call it row by row and check
 * the lookups of many rows at once.
 */
export function normaliseCustomFieldValues(viewer: Viewer, config: ModuleConfig, input: unknown, existing?: CustomValues): NormalisedCustomValues {
  if (input !== undefined && input !== null && (typeof input !== 'object' || Array.isArray(input))) {
    throw badInput('customFields', 'customFields must be an object keyed by apiName');
  }
  const given = (input ?? {}) as Record<string, unknown>;
  if (existing && input == null) return { values: undefined, lookups: [] };
  const byName = new Map(config.fields.map((field) => [field.apiName, field]));
  const normalised: CustomValues = {};
  const lookups: LookupReference[] = [];
  for (const [apiName, raw] of Object.entries(given)) {
    const field = byName.get(apiName);
    if (!field) throw badInput(`customFields.${apiName}`, `${config.plural} have no field "${apiName}"`);
    if (!field.active) throw badInput(`customFields.${apiName}`, `${field.label} is deactivated`);
    // A record keeps a value its field no longer offers (an option removed since) when it is sent back unchanged.
    if (existing && raw !== null && JSON.stringify(existing[apiName]) === JSON.stringify(raw)) {
      normalised[apiName] = raw;
      continue;
    }
    const value = normaliseValue({ apiName, type: field.type, options: field.options }, raw, viewer.country);
    if (value !== null && field.type === 'LOOKUP') lookups.push({ field, id: value as string });
    normalised[apiName] = value;
  }
  const result: CustomValues = {};
  for (const field of config.fields) {
    let value: unknown = field.apiName in normalised ? normalised[field.apiName] : existing?.[field.apiName];
    if (!existing && !(field.apiName in normalised) && field.active && field.defaultValue !== null) value = field.defaultValue;
    if (field.active && field.required && missing(value) && (!existing || field.apiName in normalised)) {
      throw badInput(`customFields.${field.apiName}`, `${field.label} is required for every ${config.singular}`);
    }
    if (!missing(value)) result[field.apiName] = value;
  }
  return { values: result, lookups };
}

/**
 * Validates `input` (the client's `customFields`) against the module's fields and returns the
 * record's complete custom values: on create with defaults applied and required fields checked;
 * on update merged into `existing` (null clears a value). Exported for imports and workflows.
 */
export async function validateCustomFieldValues(
  tx: Db,
  viewer: Viewer,
  config: ModuleConfig,
  input: unknown,
  existing?: CustomValues,
): Promise<CustomValues | undefined> {
  const { values, lookups } = normaliseCustomFieldValues(viewer, config, input, existing);
  const [missingOne] = lookups.length > 0 ? await missingLookups(tx, viewer, lookups) : [];
  if (missingOne) throw lookupNotFound(missingOne.field);
  return values;
}

/**
 * Whether an update can break an organisation rule: it sends custom values, a standard picklist
 * value, or clears a field that may be required. Most updates (a stage move, a next step) do
 * none of these and skip reading the configuration.
 */
function touchesConfiguration(module: CustomizableModule, write: RecordWrite): boolean {
  if (write.customFields !== undefined) return true;
  const picklistFields = STANDARD_FIELDS[module].flatMap((field) => (field.picklist ? [field.apiName, STANDARD_PICKLISTS[field.picklist].kinds?.field] : []));
  return Object.entries(write.values).some(([apiName, value]) => missing(value) || (typeof value === 'string' && picklistFields.includes(apiName)));
}

const configs = new WeakMap<Db, Map<CustomizableModule, Promise<ModuleConfig>>>();

/**
 * The module's configuration, read once per transaction: a create and the field updates its
 * workflow rules apply (or an import's rows) validate against the same reading. Record writes
 * never change the configuration, so the transaction cannot outdate it.
 */
function configOf(tx: Db, organizationId: string, module: CustomizableModule): Promise<ModuleConfig> {
  if (!isOpenTransaction(tx)) return loadModuleConfig(tx, organizationId, module);
  let known = configs.get(tx);
  if (!known) {
    known = new Map();
    configs.set(tx, known);
  }
  let config = known.get(module);
  if (!config) {
    config = loadModuleConfig(tx, organizationId, module);
    known.set(module, config);
  }
  return config;
}

/** Validates one write of a record of `module` (see the file comment). */
export async function validateRecordWrite(
  tx: Db,
  viewer: Viewer,
  module: CustomizableModule,
  write: RecordWrite,
  existing?: ExistingRecord,
): Promise<ValidatedWrite> {
  if (existing && !touchesConfiguration(module, write)) return { values: write.values, customFields: undefined, config: null };
  const config = await configOf(tx, viewer.organizationId, module);
  const values = checkStandardPicklists(config, write.values, existing, write.inheritedFrom);
  checkRequiredStandard(config, values, existing ? 'update' : 'create');
  const customFields = await validateCustomFieldValues(tx, viewer, config, write.customFields, existing?.customFields);
  return { values, customFields, config };
}

const stable = (value: unknown): string => JSON.stringify(value ?? null);

/** The error a value already held by another record of a unique field gives, on every write path. */
export function uniqueConflict(config: ModuleConfig, field: CustomFieldRow, value: unknown): DomainError {
  return conflict(`Another ${config.singular} already has ${field.label} "${String(value)}"`, { field: `customFields.${field.apiName}` });
}

/** How a unique field compares values (the unique index's key). */
export const uniqueKeyOf = (field: CustomFieldRow, value: unknown): string => storedColumns(field.type as FieldType, value, true).uniqueKey ?? '';

/**
 * Which records hold the unique `keys` of `field` now, key -> record id: a bulk writer's check
 * before it writes (the index still decides at the write).
 */
export async function uniqueHolders(tx: Db, viewer: Viewer, field: CustomFieldRow, keys: readonly string[]): Promise<Map<string, string>> {
  const holders = new Map<string, string>();
  if (keys.length === 0) return holders;
  const rows = await tx
    .select({ key: customFieldValues.uniqueKey, recordId: customFieldValues.recordId })
    .from(customFieldValues)
    .where(and(eq(customFieldValues.organizationId, viewer.organizationId), eq(customFieldValues.fieldId, field.id), anyOf(customFieldValues.uniqueKey, new Set(keys))));
  for (const row of rows) if (row.key !== null) holders.set(row.key, row.recordId);
  return holders;
}

/** One record's custom values before and after a write. */
export interface CustomValuesChange {
  readonly recordId: string;
  readonly before: CustomValues;
  readonly after: CustomValues;
}

/** Rows per statement, well under the drivers' parameter limit. */
const VALUES_PER_STATEMENT = 1000;

/**
 * Writes the typed, indexed copy of a record's changed custom values. A unique field's value is
 * claimed by the unique index, so of two concurrent writes with the same value exactly one
 * commits and the other gets CONFLICT, with no read-then-write race.
 */
export function syncCustomFieldValues(
  tx: Db,
  viewer: Viewer,
  config: ModuleConfig | null,
  recordId: string,
  before: CustomValues,
  after: CustomValues,
): Promise<void> {
  return syncManyCustomFieldValues(tx, viewer, config, [{ recordId, before, after }]);
}

/**
 * `syncCustomFieldValues` for many records at once (imports): a constant number of statements
 * per batch for new records; a record whose values change loses its old rows first.
 */
export async function syncManyCustomFieldValues(tx: Db, viewer: Viewer, config: ModuleConfig | null, changes: readonly CustomValuesChange[]): Promise<void> {
  if (!config || config.fields.length === 0) return;
  type Stored = { organizationId: string; fieldId: string; recordId: string } & ReturnType<typeof storedColumns>;
  const plain: Stored[] = [];
  const unique = new Map<CustomFieldRow, { row: Stored; value: unknown }[]>();
  for (const { recordId, before, after } of changes) {
    const changed = config.fields.filter((field) => stable(before[field.apiName]) !== stable(after[field.apiName]));
    if (changed.length === 0) continue;
    if (changed.some((field) => !missing(before[field.apiName]))) {
      await tx.delete(customFieldValues).where(
        and(
          eq(customFieldValues.organizationId, viewer.organizationId),
          eq(customFieldValues.recordId, recordId),
          inArray(
            customFieldValues.fieldId,
            changed.map((field) => field.id),
          ),
        ),
      );
    }
    for (const field of changed) {
      const value = after[field.apiName];
      if (missing(value)) continue;
      const row = { organizationId: viewer.organizationId, fieldId: field.id, recordId, ...storedColumns(field.type as FieldType, value, field.isUnique) };
      if (field.isUnique) unique.set(field, [...(unique.get(field) ?? []), { row, value }]);
      else plain.push(row);
    }
  }
  // A batch (an import's records) as one parameter: statement building would cost more than the insert.
  if (plain.length > 20) await insertRows(tx, customFieldValues, plain, false);
  else if (plain.length > 0) await tx.insert(customFieldValues).values(plain);
  // One statement per unique field, so a refused value names its field; a value the index
  // already holds is not inserted (and not returned), which names the value too.
  for (const [field, entries] of unique) {
    for (let start = 0; start < entries.length; start += VALUES_PER_STATEMENT) {
      const slice = entries.slice(start, start + VALUES_PER_STATEMENT);
      const inserted = await tx
        .insert(customFieldValues)
        .values(slice.map((entry) => entry.row))
        .onConflictDoNothing()
        .returning({ recordId: customFieldValues.recordId });
      if (inserted.length === slice.length) continue;
      const written = new Set(inserted.map((row) => row.recordId));
      const refused = slice.find((entry) => !written.has(entry.row.recordId));
      throw uniqueConflict(config, field, refused?.value);
    }
  }
}
