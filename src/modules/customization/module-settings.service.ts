import { and, eq, getTableColumns, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { badInput, conflict, labelled, mention } from '../../shared/errors.js';
import { requiredText } from '../../shared/validation.js';
import { assertManages } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import type { FieldType } from './field-types.js';
import { moduleSettings, picklistValues } from './customization.table.js';
import { loadModuleConfig, loadPicklists, type ModuleConfig, type PicklistState } from './module-config.js';
import { recordTableOf } from './record-tables.js';
import { DEFAULT_LABELS, STANDARD_FIELDS, STANDARD_PICKLISTS, standardField, type CustomizableModule, type PicklistName } from './standard-fields.js';

/** Labels, layout (hidden and required standard fields), editable picklists, and the metadata clients read. */

export interface FieldMetadata {
  readonly apiName: string;
  readonly label: string;
  readonly type: FieldType;
  readonly required: boolean;
  readonly unique: boolean;
  readonly options: readonly string[];
  readonly retiredOptions: readonly string[];
  readonly standard: boolean;
  readonly hidden: boolean;
  readonly system: boolean;
  readonly helpText: string | null;
  readonly lookupModule: CustomizableModule | null;
  readonly picklist: PicklistName | null;
  readonly customFieldId: string | null;
}

export interface ModuleMetadata {
  readonly module: CustomizableModule;
  readonly label: string;
  readonly pluralLabel: string;
  readonly fields: readonly FieldMetadata[];
}

/** Standard fields, then active custom fields in order: what a form or a list needs. Imports and exports map columns with it. */
export function metadataOf(config: ModuleConfig): ModuleMetadata {
  const standard = STANDARD_FIELDS[config.module].map((field): FieldMetadata => {
    const list = field.picklist ? config.picklists.get(field.picklist) : undefined;
    const reserved = field.picklist ? STANDARD_PICKLISTS[field.picklist].reserved : [];
    return {
      apiName: field.apiName,
      label: field.label,
      type: field.type as FieldType,
      required: Boolean(field.required) || config.required.has(field.apiName),
      unique: false,
      options: list ? list.active.filter((value) => !reserved.includes(value)) : (field.options ?? []),
      retiredOptions: list ? list.values.filter((entry) => entry.retired).map((entry) => entry.value) : [],
      standard: true,
      hidden: config.hidden.has(field.apiName),
      system: Boolean(field.system),
      helpText: null,
      lookupModule: null,
      picklist: field.picklist ?? null,
      customFieldId: null,
    };
  });
  const custom = config.fields
    .filter((field) => field.active)
    .map(
      (field): FieldMetadata => ({
        apiName: field.apiName,
        label: field.label,
        type: field.type,
        required: field.required,
        unique: field.isUnique,
        options: field.options,
        retiredOptions: [],
        standard: false,
        hidden: false,
        system: false,
        helpText: field.helpText,
        lookupModule: (field.lookupModule as CustomizableModule | null) ?? null,
        picklist: null,
        customFieldId: field.id,
      }),
    );
  return { module: config.module, label: config.singular, pluralLabel: config.plural, fields: [...standard, ...custom] };
}

export async function moduleMetadata(db: Db, viewer: Viewer, module: CustomizableModule): Promise<ModuleMetadata> {
  return metadataOf(await loadModuleConfig(db, viewer.organizationId, module));
}

async function saveSettings(tx: Db, viewer: Viewer, module: CustomizableModule, set: Partial<typeof moduleSettings.$inferInsert>): Promise<void> {
  await tx
    .insert(moduleSettings)
    .values({ organizationId: viewer.organizationId, module, ...set })
    .onConflictDoUpdate({ target: [moduleSettings.organizationId, moduleSettings.module], set });
}

/** Renames a module for people ("Deals" -> "Properties"); GraphQL names stay. */
export async function setModuleLabels(tx: Db, viewer: Viewer, module: CustomizableModule, singular: string, plural: string): Promise<void> {
  await saveSettings(tx, viewer, module, { singularLabel: requiredText('singular', singular, 60), pluralLabel: requiredText('plural', plural, 60) });
}

export async function updateModuleLabels(s: Session, input: { module: CustomizableModule; singular: string; plural: string }): Promise<ModuleMetadata> {
  assertManages(s.viewer, 'fields');
  await inTransaction(s.db, (tx) => setModuleLabels(tx, s.viewer, input.module, input.singular, input.plural));
  return moduleMetadata(s.db, s.viewer, input.module);
}

export async function updateStandardField(
  s: Session,
  input: { module: CustomizableModule; apiName: string; hidden?: boolean | null | undefined; required?: boolean | null | undefined },
): Promise<ModuleMetadata> {
  assertManages(s.viewer, 'fields');
  const field = standardField(input.module, input.apiName);
  if (!field) throw badInput('apiName', labelled`${input.apiName} is not a standard field of ${mention(input.module, DEFAULT_LABELS[input.module].plural, true)}`);
  if (field.system && (input.hidden || input.required)) throw badInput('apiName', `${field.label} is filled by Pulse and cannot be hidden or made required`);
  if (field.required && input.hidden) throw badInput('hidden', `${field.label} is required and cannot be hidden`);
  if (input.required && (field.type === 'LOOKUP' || field.apiName === 'tags')) throw badInput('required', `${field.label} cannot be made required`);
  await inTransaction(s.db, async (tx) => {
    const config = await loadModuleConfig(tx, s.viewer.organizationId, input.module);
    const hidden = new Set(config.hidden);
    const required = new Set(config.required);
    const toggle = (set: Set<string>, on: boolean | null | undefined) => {
      if (on === true) set.add(field.apiName);
      if (on === false) set.delete(field.apiName);
    };
    toggle(hidden, input.hidden);
    toggle(required, input.required);
    if (hidden.has(field.apiName) && required.has(field.apiName)) throw badInput('hidden', `${field.label} cannot be both hidden and required`);
    await saveSettings(tx, s.viewer, input.module, { hiddenFields: [...hidden], requiredFields: [...required] });
  });
  return moduleMetadata(s.db, s.viewer, input.module);
}

export async function getPicklist(db: Db, viewer: Viewer, name: PicklistName): Promise<PicklistState> {
  const lists = await loadPicklists(db, viewer.organizationId, [name]);
  return lists.get(name) as PicklistState;
}

export interface PicklistEdit {
  name: PicklistName;
  add?: readonly string[] | null | undefined;
  addWithKind?: readonly { value: string; kind: string }[] | null | undefined;
  rename?: readonly { from: string; to: string }[] | null | undefined;
  retire?: readonly string[] | null | undefined;
  restore?: readonly string[] | null | undefined;
  order?: readonly string[] | null | undefined;
}

/** Applies `edit` to the organisation's copy of a picklist, in the caller's transaction. */
export async function editPicklist(tx: Db, viewer: Viewer, edit: PicklistEdit): Promise<PicklistState> {
  const definition = STANDARD_PICKLISTS[edit.name];
  // One editor at a time per organisation and list.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`picklist:${viewer.organizationId}:${edit.name}`}))`);
  const current = await getPicklist(tx, viewer, edit.name);
  let values = current.values.map((entry) => ({ ...entry }));
  const find = (field: string, value: string) => {
    const entry = values.find((candidate) => candidate.value.toLowerCase() === value.trim().toLowerCase());
    if (!entry) throw badInput(field, `"${value}" is not on the list`);
    return entry;
  };
  const renames: { from: string; to: string }[] = [];
  const kinds = definition.kinds;
  const added: { value: string; kind: string | null; field: string }[] = (edit.add ?? []).map((value, index) => ({ value, kind: null, field: `add.${index}` }));
  for (const [index, { value, kind }] of (edit.addWithKind ?? []).entries()) {
    if (!kinds) throw badInput(`addWithKind.${index}.kind`, `${edit.name} values have no kind: add them with add`);
    if (!kinds.kinds.includes(kind)) throw badInput(`addWithKind.${index}.kind`, `kind must be one of: ${kinds.kinds.join(', ')}`, { allowed: kinds.kinds });
    added.push({ value, kind, field: `addWithKind.${index}` });
  }
  for (const { value, kind, field } of added) {
    const text = requiredText(field, value, 120);
    const existing = values.find((candidate) => candidate.value.toLowerCase() === text.toLowerCase());
    if (existing && kind !== null && existing.kind !== kind) throw conflict(`"${existing.value}" is already on the list as a ${existing.kind}`, { field });
    if (existing) existing.retired = false;
    else if (kinds && kind === null) throw badInput(field, `A new ${edit.name} value needs a kind (${kinds.kinds.join(', ')}): add it with addWithKind`);
    else values.push({ value: text, retired: false, kind });
  }
  for (const [index, { from, to }] of (edit.rename ?? []).entries()) {
    const entry = find(`rename.${index}.from`, from);
    if (definition.system.includes(entry.value)) throw badInput(`rename.${index}.from`, `"${entry.value}" is used by Pulse itself and cannot be renamed`);
    const text = requiredText(`rename.${index}.to`, to, 120);
    if (values.some((candidate) => candidate !== entry && candidate.value.toLowerCase() === text.toLowerCase())) {
      throw conflict(`"${text}" is already on the list`, { field: `rename.${index}.to` });
    }
    renames.push({ from: entry.value, to: text });
    entry.value = text;
  }
  for (const [index, value] of (edit.retire ?? []).entries()) {
    const entry = find(`retire.${index}`, value);
    if (definition.system.includes(entry.value)) throw badInput(`retire.${index}`, `"${entry.value}" is used by Pulse itself and cannot be retired`);
    entry.retired = true;
  }
  for (const [index, value] of (edit.restore ?? []).entries()) find(`restore.${index}`, value).retired = false;
  if (edit.order) {
    const ordered = edit.order.map((value, index) => find(`order.${index}`, value));
    if (new Set(ordered).size !== values.length || ordered.length !== values.length) throw badInput('order', 'order must list every value exactly once');
    values = ordered;
  }
  if (!values.some((entry) => !entry.retired)) throw badInput('retire', 'A picklist needs at least one value that is not retired');
  // `type: CALL` alone (older clients, imports, workflow tasks) takes the first active value of its kind: there must be one.
  for (const kind of kinds?.kinds ?? []) {
    if (!values.some((entry) => entry.kind === kind && !entry.retired)) {
      throw badInput('retire', `Every kind keeps a value that is not retired: nothing of kind ${kind} would be left on ${edit.name}`, { kind });
    }
  }
  await tx.delete(picklistValues).where(and(eq(picklistValues.organizationId, viewer.organizationId), eq(picklistValues.picklist, edit.name)));
  await tx.insert(picklistValues).values(values.map((entry, position) => ({ organizationId: viewer.organizationId, picklist: edit.name, value: entry.value, position, retired: entry.retired, kind: entry.kind })));
  // A renamed value is renamed on the records that hold it (a new version for each).
  for (const rename of renames) {
    for (const { module, field } of definition.columns) {
      const table = recordTableOf(module);
      const column = getTableColumns(table)[field as keyof typeof table.$inferSelect];
      if (!column) throw new Error(`${module} has no column ${field}`);
      await tx
        .update(table as PgTable)
        // The column set of a generic table is not known statically; `field` is one of its columns.
        .set({ [field]: rename.to, version: sql`${table.version} + 1`, updatedAt: new Date() } as never)
        .where(and(eq(table.organizationId, viewer.organizationId), eq(column, rename.from)));
    }
  }
  return getPicklist(tx, viewer, edit.name);
}

export async function updatePicklist(s: Session, edit: PicklistEdit): Promise<PicklistState> {
  assertManages(s.viewer, 'fields');
  return inTransaction(s.db, (tx) => editPicklist(tx, s.viewer, edit));
}
