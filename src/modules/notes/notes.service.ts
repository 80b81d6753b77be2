import { newRowId } from '../../db/row-id.js';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import type { CreateNoteInput, UpdateNoteInput } from '../../generated/graphql.js';
import { conflict, forbidden, notFound } from '../../shared/errors.js';
import { optionalText, requiredText } from '../../shared/validation.js';
import { assertCan, recordScope } from '../auth/access.js';
import { recordAudit } from '../access-control/audit.service.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { relatedColumnsFor, relatedRefOf } from '../records/related-record.js';
import { appendTimeline } from '../timeline/timeline.service.js';
import { notes, type NoteRow } from './notes.table.js';
import { inTransaction } from '../../db/transaction.js';

const preview = (body: string): string => (body.length > 80 ? `${body.slice(0, 77)}...` : body);

export async function createNote(s: Session, input: CreateNoteInput): Promise<NoteRow> {
  assertCan(s.viewer, 'create', 'notes');
  const body = requiredText('body', input.body, 32_000);
  const title = optionalText('title', input.title ?? null, 200);
  return inTransaction(s.db, async (tx) => {
    const related = await relatedColumnsFor(tx, s.viewer, input.relatedTo);
    const [row] = await tx
      .insert(notes)
      .values({ organizationId: s.viewer.organizationId, id: newRowId(), ...related, title, body, authorId: s.viewer.userId })
      .returning();
    if (!row) throw new Error('insert returned no note');
    await appendTimeline(tx, s.viewer.organizationId, s.viewer.userId, [
      { recordType: input.relatedTo.type, recordId: input.relatedTo.id, kind: 'NOTE_ADDED', summary: `Note added: ${preview(title ?? body)}`, data: { noteId: row.id } },
    ]);
    return row;
  });
}

async function lockNote(tx: Db, viewer: Viewer, id: string): Promise<NoteRow> {
  const [row] = await tx.select().from(notes).where(and(recordScope(viewer, 'notes', notes, id), isNull(notes.deletedAt))).for('update');
  if (!row) throw notFound('Note');
  return row;
}

export async function updateNote(s: Session, input: UpdateNoteInput): Promise<NoteRow> {
  assertCan(s.viewer, 'update', 'notes');
  const changes: Partial<NoteRow> = {};
  if (input.body != null) changes.body = requiredText('body', input.body, 32_000);
  if (input.title !== undefined) changes.title = optionalText('title', input.title, 200);
  return inTransaction(s.db, async (tx) => {
    const row = await lockNote(tx, s.viewer, input.id);
    if (row.authorId !== s.viewer.userId && !s.viewer.access.administrator) throw forbidden('Only the author or an administrator may edit a note');
    if (row.version !== input.expectedVersion) {
      throw conflict(`Note was changed by someone else (version ${row.version}, you sent ${input.expectedVersion})`, { currentVersion: row.version });
    }
    const [updated] = await tx
      .update(notes)
      .set({ ...changes, updatedAt: new Date(), version: sql`${notes.version} + 1` })
      .where(and(eq(notes.organizationId, s.viewer.organizationId), eq(notes.id, row.id)))
      .returning();
    if (!updated) throw notFound('Note');
    return updated;
  });
}

export async function deleteNote(s: Session, id: string): Promise<NoteRow> {
  assertCan(s.viewer, 'delete', 'notes');
  return inTransaction(s.db, async (tx) => {
    const row = await lockNote(tx, s.viewer, id);
    if (row.authorId !== s.viewer.userId && !s.viewer.access.administrator) throw forbidden('Only the author or an administrator may delete a note');
    const [deleted] = await tx
      .update(notes)
      .set({ deletedAt: new Date(), version: sql`${notes.version} + 1` })
      .where(and(eq(notes.organizationId, s.viewer.organizationId), eq(notes.id, row.id)))
      .returning();
    if (!deleted) throw notFound('Note');
    await recordAudit(tx, s.viewer, { action: 'RECORD_DELETED', summary: 'Note deleted', targetType: 'notes', targetId: id });
    const related = relatedRefOf(deleted);
    if (related) {
      await appendTimeline(tx, s.viewer.organizationId, s.viewer.userId, [
        { recordType: related.type, recordId: related.id, kind: 'NOTE_DELETED', summary: `Note deleted: ${preview(deleted.title ?? deleted.body)}`, data: { noteId: id } },
      ]);
    }
    return deleted;
  });
}

/** Lead conversion: the lead's notes now belong to the contact it became. */
export async function moveNotesFromLead(tx: Db, viewer: Viewer, leadId: string, contactId: string): Promise<void> {
  await tx
    .update(notes)
    .set({ leadId: null, contactId, updatedAt: new Date(), version: sql`${notes.version} + 1` })
    .where(and(eq(notes.organizationId, viewer.organizationId), eq(notes.leadId, leadId)));
}
