import type { Db } from '../db/database.js';
import { isActiveUser } from '../modules/auth/auth.service.js';
import type { Viewer } from '../modules/auth/viewer.js';

const RECHECK_MS = 5_000;

/**
 * Whether live subscribers' users are still active, looked up at most every few seconds per user
 * (one query serves every socket of that user), so a deactivated user's events stop promptly.
 */
export class ActiveUsers {
  private readonly known = new Map<string, { active: Promise<boolean>; at: number }>();

  constructor(private readonly db: Db) {}

  isActive(viewer: Viewer): Promise<boolean> {
    const key = `${viewer.organizationId}:${viewer.userId}`;
    const entry = this.known.get(key);
    if (entry && Date.now() - entry.at < RECHECK_MS) return entry.active;
    const active = isActiveUser(this.db, viewer).catch(() => entry?.active ?? true);
    if (this.known.size > 50_000) this.known.clear();
    this.known.set(key, { active, at: Date.now() });
    return active;
  }
}
