import { DomainError } from '../../shared/errors.js';
import type { ModuleConfig } from '../customization/module-config.js';
import { checkConfiguredCreate } from '../customization/record-validation.js';
import type { Viewer } from '../auth/viewer.js';
import { customFieldImport } from './custom-field-hook.js';
import { cellValue, type ImportField, type ImportModule } from './import-modules.js';
import type { ImportErrorEntry, MappedColumn } from './imports.table.js';

/** A confirmed mapping, resolved to cell positions. */
export interface CompiledMapping {
  readonly module: ImportModule;
  readonly columns: readonly { readonly index: number; readonly header: string; readonly field: ImportField | null; readonly customField: string | null }[];
  /** The record fields the mapping sets (an update changes only these). */
  readonly mappedFields: ReadonlySet<string>;
  /** The organisation's picklists and required fields for the module, read once per import. */
  readonly config: ModuleConfig;
}

const ADDRESS_FIELDS = new Set(['street', 'city', 'state', 'postalCode', 'country']);

export function compileMapping(module: ImportModule, headers: readonly string[], mapping: readonly MappedColumn[], config: ModuleConfig): CompiledMapping {
  const columns = mapping.flatMap((entry) => {
    const index = headers.indexOf(entry.column);
    if (index < 0 || (!entry.field && !entry.customField)) return [];
    const importField = entry.field ? (module.fields.find((candidate) => candidate.name === entry.field) ?? null) : null;
    return [{ index, header: entry.column, field: importField, customField: entry.customField ?? null }];
  });
  return { module, columns, mappedFields: new Set(columns.flatMap((column) => (column.field ? [column.field.name] : []))), config };
}

export type RowResult =
  | { readonly ok: true; readonly row: number; readonly input: Record<string, unknown>; readonly values: Record<string, unknown> }
  | { readonly ok: false; readonly error: ImportErrorEntry };

/**
 * One CSV row through exactly what the API does to a create input: the cells are coerced like
 * GraphQL arguments, then the module's own create validation runs. The first problem is
 * reported with the column it came from.
 */
export function validateRow(viewer: Viewer, mapping: CompiledMapping, row: number, cells: readonly string[]): RowResult {
  const input: Record<string, unknown> = {};
  const address: Record<string, unknown> = {};
  const custom: { key: string; value: unknown }[] = [];
  const columnOfField = (name: string | null): string | null =>
    name === null ? null : (mapping.columns.find((column) => column.field?.name === name || column.customField === name)?.header ?? null);
  try {
    for (const column of mapping.columns) {
      const raw = cells[column.index] ?? '';
      if (column.customField) {
        const hook = customFieldImport();
        if (!hook) throw new DomainError('BAD_USER_INPUT', 'Custom fields are not available', { field: column.customField });
        if (raw.trim() !== '') custom.push({ key: column.customField, value: hook.validate(viewer, mapping.module.module, column.customField, raw) });
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
    const hook = customFieldImport();
    for (const { key, value } of custom) hook?.assign(values, key, value);
    return { ok: true, row, input, values };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    const fieldName = typeof error.details['field'] === 'string' ? error.details['field'] : null;
    return { ok: false, error: { row, column: columnOfField(fieldName), field: fieldName, message: error.message } };
  }
}

/** The value a duplicate is matched by, as compared (case-insensitive). */
export function matchKey(values: Record<string, unknown>, matchField: string): string | null {
  const value = values[matchField];
  if (value === null || value === undefined || value === '') return null;
  return String(value).trim().toLowerCase();
}
