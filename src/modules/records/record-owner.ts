import type { Db } from '../../db/database.js';
import { badInput } from '../../shared/errors.js';
import type { Viewer } from '../auth/viewer.js';
import { assertAssignableOwner } from '../users/users.service.js';

/**
 * The owner a write sets: the one asked for (checked), or nothing. On create, nothing lets the
 * assignment rules choose (insertRecord falls back to the caller); an explicit owner wins.
 */
export async function ownerFor(tx: Db, viewer: Viewer, ownerId: string | null | undefined, mode: 'create' | 'update'): Promise<{ ownerId?: string }> {
  if (ownerId === undefined) return {};
  if (ownerId === null) {
    if (mode === 'create') return {};
    throw badInput('ownerId', 'ownerId cannot be cleared: every record has an owner');
  }
  return { ownerId: await assertAssignableOwner(tx, viewer, ownerId) };
}
