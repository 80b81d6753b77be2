import { DomainError } from '../../shared/errors.js';
import type { ModuleConfig } from '../customization/module-config.js';
import { checkConfiguredCreate, normaliseCustomFieldValues, type LookupReference } from '../customization/record-validation.js';
import type { CustomFieldRow } from '../customization/customization.table.js';
import type { Viewer } from '../auth/viewer.js';
import { cellValue, splitList, type ImportField, type ImportModule } from './import-modules.js';
import type { ImportErrorEntry, MappedColumn } from './imports.table.js';

/** A confirmed mapping, resolved to cell positions. */
export interface CompiledMapping {
  readonly module: ImportModule;
  readonly columns: readonly { readonly index: number; readonly header: string; readonly field: ImportField | null; readonly customField: string | null }[];
  /** The record fields the mapping sets (an update changes only these). */
  readonly mappedFields: ReadonlySet<string>;
  /** The organisation's picklists, required fields and custom fields for the module, read once per import. */
  readonly config: ModuleConfig;
  /** The unique custom fields the mapping fills (checked within the file and against the database). */
  readonly uniqueFields: readonly CustomFieldRow[];
}

const ADDRESS_FIELDS = new Set(['street', 'city', 'state', 'postalCode', 'country']);

export function compileMapping(module: ImportModule, headers: readonly string[], mapping: readonly MappedColumn[], config: ModuleConfig): CompiledMapping {
  const columns = mapping.flatMap((entry) => {
    const index = headers.indexOf(entry.column);
    if (index < 0 || (!entry.field && !entry.customField)) return [];
    const importField = entry.field ? (module.fields.find((candidate) => candidate.name === entry.field) ?? null) : null;
    return [{ index, header: entry.column, field: importField, customField: entry.customField ?? null }];
  });
  const customNames = new Set(columns.flatMap((column) => (column.customField ? [column.customField] : [])));
  return {
    module,
    columns,
    mappedFields: new Set(columns.flatMap((column) => (column.field ? [column.field.name] : []))),
    config,
    uniqueFields: config.fields.filter((field) => field.active && field.isUnique && customNames.has(field.apiName)),
  };
}

export type RowResult =
  | {
      readonly ok: true;
      readonly row: number;
      /** The API input the cells make (custom values under `customFields`, as a client sends them). */
      readonly input: Record<string, unknown>;
      /** Column values of a new record, `customFields` included (defaults applied). */
      readonly values: Record<string, unknown>;
      /** LOOKUP values still to be checked (a batch at a time). */
      readonly lookups: readonly LookupReference[];
    }
  | { readonly ok: false; readonly error: ImportErrorEntry };

/** A custom field's cell as the API input value a client would send: lists are split like tags. */
function customCell(field: CustomFieldRow | undefined, raw: string): unknown {
  if (raw.trim() === '') return undefined;
  return field?.type === 'MULTI_PICKLIST' ? splitList(raw) : raw;
}

/** The column a field's error belongs to (custom fields are named `customFields.<apiName>` in errors). */
export function columnOfField(mapping: CompiledMapping, name: string | null): string | null {
  if (name === null) return null;
  const custom = name.startsWith('customFields.') ? name.slice('customFields.'.length) : null;
  return mapping.columns.find((column) => (custom === null ? column.field?.name === name : column.customField === custom))?.header ?? null;
}

/** A DomainError about one row as the row's error entry. */
export function rowError(mapping: CompiledMapping, row: number, error: DomainError): ImportErrorEntry {
  const fieldName = typeof error.details['field'] === 'string' ? error.details['field'] : null;
  return { row, column: columnOfField(mapping, fieldName), field: fieldName, message: error.message };
}

/**
 * One CSV row through exactly what the API does to a create input: the cells are coerced like
 * GraphQL arguments, then the module's own create validation runs, then the organisation's
 * picklists, required fields and custom field values (types, picklists, defaults, required).
 * The first problem is reported with the column it came from. Lookups and unique values need the
 * database and are checked a batch at a time by the caller.
 */
export function validateRow(viewer: Viewer, mapping: CompiledMapping, row: number, cells: readonly string[]): RowResult {
  const input: Record<string, unknown> = {};
  const address: Record<string, unknown> = {};
  const custom: Record<string, unknown> = {};
  try {
    for (const column of mapping.columns) {
      const raw = cells[column.index] ?? '';
      if (column.customField) {
        const value = customCell(
          mapping.config.fields.find((field) => field.apiName === column.customField),
          raw,
        );
        if (value !== undefined) custom[column.customField] = value;
        continue;
      }
      if (!column.field) continue;
      const value = cellValue(column.field, raw);
      if (value === undefined) continue;
      if (ADDRESS_FIELDS.has(column.field.name)) address[column.field.name] = value;
      else input[column.field.name] = value;
    }
    if (Object.keys(address).length > 0) input['address'] = address;
    // The module's own create validation, then the organisation's picklists and required fields.
    const values = checkConfiguredCreate(mapping.config, mapping.module.validate(viewer, input));
    const customValues = normaliseCustomFieldValues(viewer, mapping.config, custom);
    values['customFields'] = customValues.values ?? {};
    input['customFields'] = custom;
    return { ok: true, row, input, values, lookups: customValues.lookups };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return { ok: false, error: rowError(mapping, row, error) };
  }
}

/** The value a duplicate is matched by, as compared (case-insensitive). */
export function matchKey(values: Record<string, unknown>, matchField: string): string | null {
  const value = values[matchField];
  if (value === null || value === undefined || value === '') return null;
  return String(value).trim().toLowerCase();
}
