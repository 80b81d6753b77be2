import { newRowId } from '../../db/row-id.js';
import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { badInput, notFound } from '../../shared/errors.js';
import { requiredText } from '../../shared/validation.js';
import { assertManages } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import { viewerColumns, viewerOf, type ViewerDeps } from '../auth/viewer-source.js';
import type { Viewer } from '../auth/viewer.js';
import { organizations } from '../organizations/organizations.table.js';
import { users } from '../users/users.table.js';
import { accessChanged } from './access-version.js';
import { apiKeys, type ApiKeyRow } from './api-keys.table.js';
import { recordAudit } from './audit.service.js';
import { getProfileRow } from './profiles.service.js';

const PREFIX = 'pk_';
/** lastUsedAt is written at most this often per key, not on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

export const isApiKey = (token: string): boolean => token.startsWith(PREFIX);

const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** `pk_<organisation id without dashes>_<256 random bits>`: the organisation is found without a global lookup. */
function parseKey(token: string): { organizationId: string; secret: string } | null {
  const match = /^pk_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match?.[1] || !match[2]) return null;
  const hex = match[1];
  const organizationId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { organizationId, secret: token };
}

export interface CreatedApiKey {
  readonly apiKey: ApiKeyRow;
  readonly secret: string;
}

export async function createApiKey(s: Session, input: { name: string; profileId: string; expiresAt?: Date | null | undefined }): Promise<CreatedApiKey> {
  assertManages(s.viewer, 'access');
  const name = requiredText('name', input.name, 200);
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) throw badInput('expiresAt', 'expiresAt must be in the future');
  const secret = `${PREFIX}${s.viewer.organizationId.replace(/-/g, '')}_${randomBytes(32).toString('base64url')}`;
  const apiKey = await inTransaction(s.db, async (tx) => {
    await getProfileRow(tx, s.viewer, input.profileId, 'profileId');
    const [row] = await tx
      .insert(apiKeys)
      .values({
        organizationId: s.viewer.organizationId,
        id: newRowId(),
        name,
        profileId: input.profileId,
        createdById: s.viewer.userId,
        secretHash: hashSecret(secret),
        prefix: secret.slice(0, 12),
        expiresAt: input.expiresAt ?? null,
      })
      .returning();
    if (!row) throw new Error('insert returned no API key');
    await recordAudit(tx, s.viewer, { action: 'API_KEY_CREATED', summary: `API key "${name}" created`, targetType: 'API_KEY', targetId: row.id });
    return row;
  });
  return { apiKey, secret };
}

export async function revokeApiKey(s: Session, id: string): Promise<ApiKeyRow> {
  assertManages(s.viewer, 'access');
  return inTransaction(s.db, async (tx) => {
    const [row] = await tx
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiKeys.organizationId, s.viewer.organizationId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
      .returning();
    if (!row) {
      const [existing] = await tx.select().from(apiKeys).where(and(eq(apiKeys.organizationId, s.viewer.organizationId), eq(apiKeys.id, id)));
      if (!existing) throw notFound('API key');
      return existing;
    }
    await recordAudit(tx, s.viewer, { action: 'API_KEY_REVOKED', summary: `API key "${row.name}" revoked`, targetType: 'API_KEY', targetId: row.id });
    // Live subscriptions made with the key re-check it before their next event.
    await accessChanged(tx, s.viewer.organizationId, s.viewer.userId);
    return row;
  });
}

export function listApiKeys(s: Session): Promise<ApiKeyRow[]> {
  assertManages(s.viewer, 'access');
  return s.db.select().from(apiKeys).where(eq(apiKeys.organizationId, s.viewer.organizationId)).orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
}

type KeyAuthentication =
  | { readonly viewer: Viewer; readonly expiresAt: Date | null; readonly error: null }
  | { readonly viewer: null; readonly expiresAt: null; readonly error: string };

/**
 * The viewer of an API key: its creator (who must still be active), limited to the key's profile.
 * Revoked, expired and unknown keys get the same answer.
 */
export async function authenticateApiKey(deps: ViewerDeps, token: string): Promise<KeyAuthentication> {
  const refused = { viewer: null, expiresAt: null, error: 'The API key is invalid, revoked or expired' } as const;
  const parsed = parseKey(token);
  if (!parsed) return refused;
  const [found] = await deps.db
    .select({ key: apiKeys, user: viewerColumns })
    .from(apiKeys)
    .innerJoin(users, and(eq(users.organizationId, apiKeys.organizationId), eq(users.id, apiKeys.createdById)))
    .innerJoin(organizations, eq(organizations.id, apiKeys.organizationId))
    .where(and(eq(apiKeys.organizationId, parsed.organizationId), eq(apiKeys.secretHash, hashSecret(parsed.secret))));
  const now = Date.now();
  if (!found || found.key.revokedAt || (found.key.expiresAt && found.key.expiresAt.getTime() <= now) || !found.user.active) return refused;
  if (!found.key.lastUsedAt || now - found.key.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) await touch(deps.db, found.key);
  const viewer = await viewerOf(deps, { ...found.user, profileId: found.key.profileId }, found.key.id);
  return { viewer, expiresAt: found.key.expiresAt, error: null };
}

async function touch(db: Db, key: ApiKeyRow): Promise<void> {
  await db.update(apiKeys).set({ lastUsedAt: new Date() }).where(and(eq(apiKeys.organizationId, key.organizationId), eq(apiKeys.id, key.id)));
}
