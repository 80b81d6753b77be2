import { getTableColumns } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/database.js';
import { activeFieldsOf } from '../customization/module-config.js';
import type { FieldType as CustomFieldType } from '../customization/field-types.js';
import { customFieldEntries, tableCatalog, type FieldCatalog, type FieldInfo } from './criteria.js';

/**
 * The fields criteria may name on one organisation's records of `module`: the table's standard
 * fields and the organisation's active custom fields as `customFields.<apiName>`. Read when a
 * rule is written (one statement), so a field added a moment ago can be used at once.
 */
export async function recordCatalog(db: Db, organizationId: string, module: string, table: PgTable, extra: Iterable<readonly [string, FieldInfo]> = []): Promise<FieldCatalog> {
  const fields = await activeFieldsOf(db, organizationId, [module]);
  const json = getTableColumns(table)['customFields'];
  const custom = customFieldEntries(
    json,
    fields.map((field) => ({ apiName: field.apiName, type: field.type as CustomFieldType, options: field.options })),
  );
  return tableCatalog(table, [...extra, ...custom]);
}
