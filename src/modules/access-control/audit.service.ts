import { newRowId } from '../../db/row-id.js';
import { and, eq, gte, inArray, lt, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { afterCursor, orderBy, pageSize, toConnection, type Connection, type SortKey } from '../../shared/pagination.js';
import { assertManages } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { auditLog, type AuditLogRow } from './audit-log.table.js';

/** Security-relevant actions. Export and import modules add theirs (EXPORTED, IMPORTED) here. */
export const AUDIT_ACTIONS = [
  'SIGNED_IN',
  'SIGN_IN_FAILED',
  'USER_INVITED',
  'USER_UPDATED',
  'USER_DEACTIVATED',
  'PROFILE_CREATED',
  'PROFILE_UPDATED',
  'PROFILE_DELETED',
  'ROLE_CREATED',
  'ROLE_UPDATED',
  'ROLE_DELETED',
  'SHARING_CHANGED',
  'SHARING_RULE_CREATED',
  'SHARING_RULE_DELETED',
  'API_KEY_CREATED',
  'API_KEY_REVOKED',
  'RECORD_DELETED',
  'EXPORTED',
  'ORGANIZATION_RESTORED',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntry {
  readonly action: AuditAction;
  readonly summary: string;
  readonly targetType?: string;
  readonly targetId?: string;
  readonly detail?: Record<string, unknown>;
}

/** Who did it: a viewer, or an organisation only (a failed sign-in has no signed-in actor). */
export type AuditActor = Viewer | { readonly organizationId: string; readonly userId: string | null; readonly apiKeyId?: null };

/**
 * Appends an audit entry in the caller's transaction (so it commits or rolls back with the action
 * it records). Every module that does something security-relevant calls this.
 */
export async function recordAudit(tx: Db, actor: AuditActor, entry: AuditEntry): Promise<void> {
  await tx.insert(auditLog).values({
    organizationId: actor.organizationId,
    id: newRowId(),
    action: entry.action,
    actorUserId: actor.userId,
    actorApiKeyId: actor.apiKeyId ?? null,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    summary: entry.summary,
    detail: entry.detail ?? {},
  });
}

const NEWEST_FIRST: SortKey = { column: auditLog.at, direction: 'DESC', nullable: false, decode: (v) => new Date(v) };

export interface AuditFilter {
  actions?: readonly string[] | null | undefined;
  actorId?: string | null | undefined;
  targetId?: string | null | undefined;
  since?: Date | null | undefined;
  until?: Date | null | undefined;
}

/** The organisation's audit log, newest first, keyset-paginated. Administrators (setting `audit`) only. */
export async function listAuditLog(
  s: Session,
  filter: AuditFilter | null | undefined,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<Connection<AuditLogRow>> {
  assertManages(s.viewer, 'audit');
  const size = pageSize(first);
  const conditions: (SQL | undefined)[] = [eq(auditLog.organizationId, s.viewer.organizationId)];
  if (filter?.actions && filter.actions.length > 0) {
    conditions.push(inArray(auditLog.action, [...filter.actions]));
  }
  if (filter?.actorId) conditions.push(eq(auditLog.actorUserId, filter.actorId));
  if (filter?.targetId) conditions.push(eq(auditLog.targetId, filter.targetId));
  if (filter?.since) conditions.push(gte(auditLog.at, filter.since));
  if (filter?.until) conditions.push(lt(auditLog.at, filter.until));
  const where = and(...conditions);
  const rows = await s.db
    .select()
    .from(auditLog)
    .where(after ? and(where, afterCursor(NEWEST_FIRST, auditLog.id, after)) : where)
    .orderBy(...orderBy(NEWEST_FIRST, auditLog.id))
    .limit(size + 1);
  return toConnection(rows, size, (row) => row.at, () => s.db.$count(auditLog, where));
}
