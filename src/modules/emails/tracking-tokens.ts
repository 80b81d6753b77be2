import { randomBytes } from 'node:crypto';

/**
 * Tracking tokens name their organisation, so the hot endpoints look them up with the
 * organisation in the WHERE clause like every other query, and add 192 random bits that make
 * them unguessable: "<organisation id, base64url>.<random>".
 */
export function newTrackingToken(organizationId: string): string {
  const organization = Buffer.from(organizationId.replace(/-/g, ''), 'hex').toString('base64url');
  return `${organization}.${randomBytes(24).toString('base64url')}`;
}

const UUID_BYTES = 16;

/** The organisation a token names, or null for anything that is not a well-formed token. */
export function organizationOfToken(token: string): string | null {
  const match = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{32})$/.exec(token);
  if (!match?.[1]) return null;
  const bytes = Buffer.from(match[1], 'base64url');
  if (bytes.length !== UUID_BYTES) return null;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
