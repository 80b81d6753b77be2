import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import type { FieldType } from './field-types.js';
import { customFields, moduleSettings, picklistValues, type CustomFieldRow } from './customization.table.js';
import { DEFAULT_LABELS, STANDARD_FIELDS, STANDARD_PICKLISTS, type CustomizableModule, type PicklistName } from './standard-fields.js';

/** A standard picklist as one organisation has it. */
export interface PicklistState {
  readonly name: PicklistName;
  /** Every value in display order. */
  readonly values: readonly { readonly value: string; readonly retired: boolean }[];
  /** Values new writes may use. */
  readonly active: readonly string[];
}

/** Everything about one module of one organisation that validation and metadata read. */
export interface ModuleConfig {
  readonly module: CustomizableModule;
  readonly singular: string;
  readonly plural: string;
  readonly hidden: ReadonlySet<string>;
  readonly required: ReadonlySet<string>;
  /** Custom fields, deactivated ones included, in display order. */
  readonly fields: readonly (CustomFieldRow & { type: FieldType })[];
  readonly picklists: ReadonlyMap<PicklistName, PicklistState>;
}

export function picklistState(name: PicklistName, rows: readonly { value: string; retired: boolean }[]): PicklistState {
  const values = rows.length > 0 ? rows : STANDARD_PICKLISTS[name].defaults.map((value) => ({ value, retired: false }));
  return { name, values, active: values.filter((row) => !row.retired).map((row) => row.value) };
}

/** Reads the organisation's picklists (built-in lists where it has not edited them). */
export async function loadPicklists(db: Db, organizationId: string, names: readonly PicklistName[]): Promise<Map<PicklistName, PicklistState>> {
  const rows =
    names.length === 0
      ? []
      : await db
          .select({ picklist: picklistValues.picklist, value: picklistValues.value, retired: picklistValues.retired })
          .from(picklistValues)
          .where(and(eq(picklistValues.organizationId, organizationId), inArray(picklistValues.picklist, [...names])))
          .orderBy(asc(picklistValues.picklist), asc(picklistValues.position));
  return new Map(names.map((name) => [name, picklistState(name, rows.filter((row) => row.picklist === name))]));
}

/**
 * The module's configuration, read fresh on every write (three small indexed reads), so a field
 * added a moment ago applies at once on every server without a restart or a cache to invalidate.
 */
export async function loadModuleConfig(db: Db, organizationId: string, module: CustomizableModule): Promise<ModuleConfig> {
  const fields = await db
    .select()
    .from(customFields)
    .where(and(eq(customFields.organizationId, organizationId), eq(customFields.module, module)))
    .orderBy(asc(customFields.position), asc(customFields.createdAt));
  const [settings] = await db
    .select()
    .from(moduleSettings)
    .where(and(eq(moduleSettings.organizationId, organizationId), eq(moduleSettings.module, module)));
  const names = [...new Set(STANDARD_FIELDS[module].flatMap((field) => (field.picklist ? [field.picklist] : [])))];
  return {
    module,
    singular: settings?.singularLabel ?? DEFAULT_LABELS[module].singular,
    plural: settings?.pluralLabel ?? DEFAULT_LABELS[module].plural,
    hidden: new Set(settings?.hiddenFields ?? []),
    required: new Set(settings?.requiredFields ?? []),
    fields: fields as (CustomFieldRow & { type: FieldType })[],
    picklists: await loadPicklists(db, organizationId, names),
  };
}

/** The custom fields of one organisation for several modules at once (the per-request loader). */
export async function activeFieldsOf(db: Db, organizationId: string, modules: readonly string[]): Promise<CustomFieldRow[]> {
  return db
    .select()
    .from(customFields)
    .where(and(eq(customFields.organizationId, organizationId), inArray(customFields.module, [...modules]), eq(customFields.active, true)))
    .orderBy(asc(customFields.position), asc(customFields.createdAt));
}
