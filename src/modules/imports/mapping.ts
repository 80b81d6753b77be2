import type { MappedColumn } from './imports.table.js';
import type { ImportModule } from './import-modules.js';

/** "E-mail 1 - Value" and "email1value" are the same header. */
export const headerKey = (header: string): string => header.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * A mapping from the header names: each column goes to the field with a matching synonym; when
 * two columns claim one field, the more specific synonym wins (Outlook's "Job Title" over its
 * "Title", which is a salutation there). A custom field labelled as the header wins it over a
 * standard field's synonym; a column nothing else claims goes to the custom field its apiName names. A saved mapping of the module, when given, decides
 * first for the columns it names (its custom fields while they are active).
 */
export function proposeMapping(
  module: ImportModule,
  headers: readonly string[],
  saved: readonly MappedColumn[] = [],
  customFields: readonly { readonly apiName: string; readonly label: string }[] = [],
): MappedColumn[] {
  const active = new Set(customFields.map((field) => field.apiName));
  const savedByKey = new Map(saved.filter((entry) => !entry.customField || active.has(entry.customField)).map((entry) => [headerKey(entry.column), entry]));
  const claims = new Map<string, { column: number; rank: number }>();
  const result: MappedColumn[] = headers.map((column) => ({ column, field: null }));
  const decided = new Set<number>();
  const taken = new Set(saved.flatMap((entry) => (entry.customField && active.has(entry.customField) && headers.some((header) => headerKey(header) === headerKey(entry.column)) ? [entry.customField] : [])));
  headers.forEach((header, column) => {
    const fromSaved = savedByKey.get(headerKey(header));
    if (fromSaved) {
      decided.add(column);
      result[column] = { column: header, field: fromSaved.field, ...(fromSaved.customField ? { customField: fromSaved.customField } : {}) };
      if (fromSaved.field) claims.set(fromSaved.field, { column, rank: -1 });
      return;
    }
    const key = headerKey(header);
    // The organisation's own field labelled exactly so beats a standard field's synonym ("Region").
    const labelled = customFields.find((field) => !taken.has(field.apiName) && headerKey(field.label) === key);
    if (labelled) {
      taken.add(labelled.apiName);
      result[column] = { column: header, field: null, customField: labelled.apiName };
      return;
    }
    let best: { field: string; rank: number } | null = null;
    for (const candidate of module.fields) {
      const rank = candidate.synonyms.findIndex((synonym) => headerKey(synonym) === key);
      if (rank >= 0 && (!best || rank < best.rank)) best = { field: candidate.name, rank };
    }
    if (!best) return;
    const claimed = claims.get(best.field);
    if (claimed && claimed.rank <= best.rank) return;
    if (claimed) result[claimed.column] = { column: headers[claimed.column] ?? '', field: null };
    claims.set(best.field, { column, rank: best.rank });
    result[column] = { column: header, field: best.field };
  });
  headers.forEach((header, column) => {
    if (decided.has(column) || result[column]?.field || result[column]?.customField) return;
    const key = headerKey(header);
    const custom = customFields.find((field) => !taken.has(field.apiName) && headerKey(field.apiName) === key);
    if (!custom) return;
    taken.add(custom.apiName);
    result[column] = { column: header, field: null, customField: custom.apiName };
  });
  return result;
}
