import { and, asc, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../db/database.js';
import type { FieldType } from './field-types.js';
import { customFields, moduleSettings, picklistValues, type CustomFieldRow } from './customization.table.js';
import type { ModuleLabels } from '../../shared/errors.js';
import { DEFAULT_LABELS, STANDARD_FIELDS, STANDARD_PICKLISTS, type CustomizableModule, type PicklistName } from './standard-fields.js';

/** A standard picklist as one organisation has it. */
export interface PicklistState {
  readonly name: PicklistName;
  /** Every value in display order; `kind` is set on lists with kinds (activity types and statuses). */
  readonly values: readonly PicklistEntry[];
  /** Values new writes may use. */
  readonly active: readonly string[];
}

export interface PicklistEntry {
  readonly value: string;
  readonly retired: boolean;
  readonly kind: string | null;
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

export function picklistState(name: PicklistName, rows: readonly { value: string; retired: boolean; kind?: string | null }[]): PicklistState {
  const definition = STANDARD_PICKLISTS[name];
  const values: PicklistEntry[] =
    rows.length > 0
      ? rows.map((row) => ({ value: row.value, retired: row.retired, kind: row.kind ?? null }))
      : definition.defaults.map((value) => ({ value, retired: false, kind: definition.kinds?.ofDefault[value] ?? null }));
  return { name, values, active: values.filter((row) => !row.retired).map((row) => row.value) };
}

/** Reads the organisation's picklists (built-in lists where it has not edited them). */
export async function loadPicklists(db: Db, organizationId: string, names: readonly PicklistName[]): Promise<Map<PicklistName, PicklistState>> {
  const rows =
    names.length === 0
      ? []
      : await db
          .select({ picklist: picklistValues.picklist, value: picklistValues.value, retired: picklistValues.retired, kind: picklistValues.kind })
          .from(picklistValues)
          .where(and(eq(picklistValues.organizationId, organizationId), inArray(picklistValues.picklist, [...names])))
          .orderBy(asc(picklistValues.picklist), asc(picklistValues.position));
  return new Map(names.map((name) => [name, picklistState(name, rows.filter((row) => row.picklist === name))]));
}

interface ConfigRow {
  fields: (Omit<CustomFieldRow, 'createdAt'> & { createdAt: string })[];
  settings: { singularLabel: string | null; pluralLabel: string | null; hiddenFields: string[]; requiredFields: string[] } | null;
  picklists: { picklist: string; value: string; retired: boolean; kind: string | null }[];
}

/**
 * The module's configuration, read fresh on every write in one statement, so a field added a
 * moment ago applies at once on every server with no restart and no cache to invalidate.
 */
export async function loadModuleConfig(db: Db, organizationId: string, module: CustomizableModule): Promise<ModuleConfig> {
  const names = [...new Set(STANDARD_FIELDS[module].flatMap((field) => (field.picklist ? [field.picklist] : [])))];
  const f = customFields;
  const m = moduleSettings;
  const p = picklistValues;
  const result = await db.execute(sql`
    select
      (select coalesce(json_agg(json_build_object(
          'organizationId', ${f.organizationId}, 'id', ${f.id}, 'module', ${f.module}, 'apiName', ${f.apiName}, 'label', ${f.label},
          'type', ${f.type}, 'required', ${f.required}, 'isUnique', ${f.isUnique}, 'defaultValue', ${f.defaultValue},
          'options', ${f.options}, 'lookupModule', ${f.lookupModule}, 'helpText', ${f.helpText}, 'position', ${f.position},
          'active', ${f.active}, 'createdAt', ${f.createdAt}) order by ${f.position}, ${f.createdAt}), '[]'::json)
        from ${f} where ${f.organizationId} = ${organizationId} and ${f.module} = ${module}) as fields,
      (select json_build_object('singularLabel', ${m.singularLabel}, 'pluralLabel', ${m.pluralLabel},
          'hiddenFields', ${m.hiddenFields}, 'requiredFields', ${m.requiredFields})
        from ${m} where ${m.organizationId} = ${organizationId} and ${m.module} = ${module}) as settings,
      (select coalesce(json_agg(json_build_object('picklist', ${p.picklist}, 'value', ${p.value}, 'retired', ${p.retired}, 'kind', ${p.kind})
          order by ${p.picklist}, ${p.position}), '[]'::json)
        from ${p} where ${p.organizationId} = ${organizationId} and ${p.picklist} in (${sql.join(
          names.length > 0 ? names.map((name) => sql`${name}`) : [sql`null`],
          sql`, `,
        )})) as picklists`);
  const [row] = rowsOf<ConfigRow>(result);
  if (!row) throw new Error('the configuration query returned no row');
  const settings = row.settings;
  return {
    module,
    singular: settings?.singularLabel ?? DEFAULT_LABELS[module].singular,
    plural: settings?.pluralLabel ?? DEFAULT_LABELS[module].plural,
    hidden: new Set(settings?.hiddenFields ?? []),
    required: new Set(settings?.requiredFields ?? []),
    fields: row.fields.map((field) => ({ ...field, createdAt: new Date(field.createdAt) })) as (CustomFieldRow & { type: FieldType })[],
    picklists: new Map(names.map((name) => [name, picklistState(name, row.picklists.filter((entry) => entry.picklist === name))])),
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

/**
 * The modules the organisation renamed, in one query. Messages fall back to Pulse's own words
 * for the others, so an organisation that renamed nothing reads exactly what it always did.
 */
export async function moduleLabelsOf(db: Db, organizationId: string): Promise<ModuleLabels> {
  const rows = await db
    .select({ module: moduleSettings.module, singular: moduleSettings.singularLabel, plural: moduleSettings.pluralLabel })
    .from(moduleSettings)
    .where(and(eq(moduleSettings.organizationId, organizationId), isNotNull(moduleSettings.singularLabel), isNotNull(moduleSettings.pluralLabel)));
  return new Map(rows.map((row) => [row.module, { singular: row.singular as string, plural: row.plural as string }]));
}

/** A module's labels: the organisation's, or Pulse's. */
export const labelsOf = (labels: ModuleLabels, module: CustomizableModule): { readonly singular: string; readonly plural: string } =>
  labels.get(module) ?? DEFAULT_LABELS[module];
