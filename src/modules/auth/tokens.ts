import { jwtVerify, SignJWT } from 'jose';

const ISSUER = 'pulse';

export interface TokenClaims {
  readonly userId: string;
  readonly organizationId: string;
}

export interface SignedToken {
  readonly token: string;
  readonly expiresAt: Date;
}

const keyOf = (secret: string): Uint8Array => new TextEncoder().encode(secret);

export async function signToken(secret: string, ttlSeconds: number, claims: TokenClaims): Promise<SignedToken> {
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
  const token = await new SignJWT({ org: claims.organizationId })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(keyOf(secret));
  return { token, expiresAt };
}

/** The claims of a valid token, or null for anything else (bad signature, expired, malformed). */
export async function verifyToken(secret: string, token: string): Promise<(TokenClaims & { expiresAt: Date }) | null> {
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), { issuer: ISSUER, algorithms: ['HS256'] });
    if (typeof payload.sub !== 'string' || typeof payload['org'] !== 'string' || typeof payload.exp !== 'number') return null;
    return { userId: payload.sub, organizationId: payload['org'], expiresAt: new Date(payload.exp * 1000) };
  } catch {
    return null;
  }
}

/** Reads `Bearer <token>` (or a bare token, as WebSocket clients often send). */
export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(header);
  if (match?.[1]) return match[1];
  return /^\S+$/.test(header.trim()) ? header.trim() : null;
}
