import type { Db } from '../../db/database.js';
import { badInput } from '../../shared/errors.js';
import type { Viewer } from '../auth/viewer.js';
import { assertAssignableOwner } from '../users/users.service.js';

/** The owner a write sets: the one asked for (checked), the caller on create, or nothing on update. */
export async function ownerFor(tx: Db, viewer: Viewer, ownerId: string | null | undefined, mode: 'create' | 'update'): Promise<{ ownerId?: string }> {
  if (ownerId === undefined) return mode === 'create' ? { ownerId: viewer.userId } : {};
  if (ownerId === null) {
    if (mode === 'create') return { ownerId: viewer.userId };
    throw badInput('ownerId', 'ownerId cannot be cleared: every record has an owner');
  }
  return { ownerId: await assertAssignableOwner(tx, viewer, ownerId) };
}
