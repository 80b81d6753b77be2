import { and, asc, eq, gt } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { inTransaction, publish } from '../../db/transaction.js';
import { conflict, DomainError, labelled, notFound, type ModuleMention } from '../../shared/errors.js';
import { assertWritable, canAct, recordScope, type RecordAction } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { loadModuleConfig, type ModuleConfig } from '../customization/module-config.js';
import { syncCustomFieldValues } from '../customization/record-validation.js';
import type { CustomizableModule } from '../customization/standard-fields.js';
import { lockRecord, nameOf, saveChanges, setDeleted, type BaseRow, type RecordKind, type RecordTable } from '../records/record-store.js';
import { importModule } from './import-modules.js';
import { assertMayChangeImport, IMPORT_TOPIC, progressEvent } from './imports.service.js';
import { importRecords, imports, type ImportRow } from './imports.table.js';

type Row = BaseRow & { readonly ownerId?: string | null };

/** Undo is all or nothing: one record the undoer may not change refuses the whole of it, with why. */
const outOfReach = (why: readonly (string | ModuleMention)[]): DomainError =>
  new DomainError(
    'FORBIDDEN',
    [
      'This import cannot be undone by you: ',
      ...why,
      '; it was not undone. An administrator, or a user whose profile manages imports and reaches every record it touched, can undo it',
    ],
    { reason: 'RECORDS_OUT_OF_REACH' },
  );

/**
 * The record an entry names, locked, once the undoer may `action` it; null when it is gone for
 * good (purged from the recycle bin: nothing left to undo). A record that exists but that the
 * undoer cannot see or change refuses the undo.
 */
async function reachable(tx: Db, viewer: Viewer, kind: RecordKind<RecordTable>, recordId: string, action: RecordAction): Promise<Row | null> {
  if (!canAct(viewer, action, kind.module)) throw outOfReach(labelled`your profile may not ${action} ${nameOf(kind)}`);
  const current = (await lockRecord(tx, viewer, kind, recordId).catch((error: unknown) => {
    if (error instanceof DomainError && error.code === 'NOT_FOUND') return null;
    throw error;
  })) as Row | null;
  if (!current) {
    const [exists] = await tx.select({ id: kind.table.id }).from(kind.table).where(and(eq(kind.table.organizationId, viewer.organizationId), eq(kind.table.id, recordId)));
    if (exists) throw outOfReach(['some of the records it created or updated are out of your reach (owned by others the sharing keeps from you)']);
    return null;
  }
  if (!canAct(viewer, action, kind.module, current)) throw outOfReach(['some of the records it created or updated are not yours to change (owned by others the sharing lets you read only)']);
  return current;
}

/** The fields an UPDATED entry changed, as they were before the import (custom values key by key). */
function beforeValues(current: Record<string, unknown>, before: Record<string, unknown>): Record<string, unknown> {
  const restore: Record<string, unknown> = {};
  const currentCustom = (current['customFields'] ?? {}) as Record<string, unknown>;
  for (const [field, value] of Object.entries(before)) {
    if (field === 'customFields') {
      // The custom values the import changed, each back as it was (null: it had none).
      const custom = { ...currentCustom };
      for (const [apiName, old] of Object.entries(value as Record<string, unknown>)) {
        if (old === null) delete custom[apiName];
        else custom[apiName] = old;
      }
      restore[field] = custom;
      continue;
    }
    // jsonb gave dates back as strings: give the column a Date again where it holds one.
    restore[field] = current[field] instanceof Date && typeof value === 'string' ? new Date(value) : value;
  }
  return restore;
}

/**
 * Removes what the import created (to the recycle bin, where it can still be restored) and puts
 * back the fields it updated, within the undo window, in one transaction: every record or none.
 * Its creator, a profile managing imports, or an administrator may undo it; when a record it
 * touched is out of the undoer's reach, nothing is undone (FORBIDDEN, reason RECORDS_OUT_OF_REACH).
 */
export async function undoImport(s: Session, id: string): Promise<ImportRow> {
  assertWritable(s.viewer);
  return inTransaction(s.db, async (tx) => {
    const [row] = await tx.select().from(imports).where(recordScope(s.viewer, 'imports', imports, id)).for('update');
    if (!row) throw notFound('Import');
    assertMayChangeImport(s.viewer, row);
    if (row.status !== 'COMPLETED' || !row.completedAt) throw conflict(`Only a completed import can be undone (this one is ${row.status})`);
    const windowMs = s.config.importUndoWindowHours * 3600 * 1000;
    if (Date.now() - row.completedAt.getTime() > windowMs) {
      throw new DomainError('CONFLICT', `Imports can be undone for ${s.config.importUndoWindowHours} hours after they finish`, { reason: 'UNDO_WINDOW_PASSED' });
    }
    const module = importModule(row.module);
    const kind = module.kind;
    let config: ModuleConfig | null = null;
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const page = await tx
        .select()
        .from(importRecords)
        .where(and(eq(importRecords.organizationId, row.organizationId), eq(importRecords.importId, id), gt(importRecords.recordId, after)))
        .orderBy(asc(importRecords.recordId))
        .limit(500);
      for (const entry of page) {
        if (entry.action === 'CREATED') {
          const current = await reachable(tx, s.viewer, kind, entry.recordId, 'delete');
          if (current && !current.deletedAt) await setDeleted(tx, s.viewer, kind, entry.recordId, true);
        } else if (entry.before) {
          const current = await reachable(tx, s.viewer, kind, entry.recordId, 'update');
          if (!current) continue;
          const currentFields = current as unknown as Record<string, unknown>;
          const restore = beforeValues(currentFields, entry.before);
          // `current` is the kind's row, read through the kind's own table.
          const { row: restored } = await saveChanges(tx, s.viewer, kind, current as never, restore, { undoneImportId: id }, 'import');
          if ('customFields' in restore) {
            config ??= await loadModuleConfig(tx, row.organizationId, module.module as CustomizableModule);
            const currentCustom = (currentFields['customFields'] ?? {}) as Record<string, unknown>;
            await syncCustomFieldValues(tx, s.viewer, config, entry.recordId, currentCustom, ((restored as Record<string, unknown>)['customFields'] ?? {}) as Record<string, unknown>);
          }
        }
      }
      const last = page[page.length - 1];
      if (!last || page.length < 500) break;
      after = last.recordId;
    }
    const [undone] = await tx.update(imports).set({ status: 'UNDONE', undoneAt: new Date() }).where(recordScope(s.viewer, 'imports', imports, id)).returning();
    const result = undone ?? row;
    // What the import had done, as its COMPLETED event said: what undo took back.
    const counts = row.counts;
    publish(
      tx,
      row.organizationId,
      s.viewer.userId,
      progressEvent(result, { rowsRead: counts?.rowsRead ?? 0, rowsWritten: (counts?.created ?? 0) + (counts?.updated ?? 0), rowsFailed: counts?.rowsFailed ?? 0, percentage: 100 }, 'UNDONE'),
    );
    return result;
  });
}
