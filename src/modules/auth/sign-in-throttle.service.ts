import { createHash } from 'node:crypto';
import { inArray, lt, sql } from 'drizzle-orm';
import type { SignInLimitsConfig } from '../../config.js';
import type { Db } from '../../db/database.js';
import type { Clock } from '../../server/limits/clock.js';
import { DomainError } from '../../shared/errors.js';
import { signInThrottles } from './sign-in-throttle.table.js';

export interface ThrottleDeps {
  readonly db: Db;
  readonly config: { readonly signIn: SignInLimitsConfig };
  readonly clock: Clock;
}

interface Keys {
  readonly account: string;
  readonly address: string;
}

/** The email is hashed: the table says nothing about who tried to sign in. */
export function throttleKeys(email: string, address: string): Keys {
  return { account: `account:${createHash('sha256').update(email).digest('hex')}`, address: `address:${address}` };
}

/**
 * Refuses the attempt with RATE_LIMITED (and `retryAfterSeconds`) while the account or the address
 * has used up its failures in the current window. Known and unknown emails are counted alike.
 * Returns whether the account has failures on record (a success then clears them).
 */
export async function assertSignInAllowed(deps: ThrottleDeps, keys: Keys): Promise<boolean> {
  const { maxFailuresPerAccount, maxFailuresPerAddress, windowSeconds } = deps.config.signIn;
  const now = deps.clock.now();
  const rows = await deps.db.select().from(signInThrottles).where(inArray(signInThrottles.key, [keys.account, keys.address]));
  let retryAfterMs = 0;
  for (const row of rows) {
    const endsAt = row.windowStartedAt.getTime() + windowSeconds * 1000;
    const max = row.key === keys.account ? maxFailuresPerAccount : maxFailuresPerAddress;
    if (endsAt > now && row.failures >= max) retryAfterMs = Math.max(retryAfterMs, endsAt - now);
  }
  if (retryAfterMs > 0) {
    const retryAfterSeconds = Math.ceil(retryAfterMs / 1000);
    throw new DomainError('RATE_LIMITED', `Too many failed sign-ins; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
  }
  return rows.some((row) => row.key === keys.account);
}

/** Old windows are deleted now and then by failures themselves; no job needed. */
const CLEANUP_SHARE = 0.02;

/** Counts a failed attempt against the account and the address, in one statement. */
export async function recordSignInFailure(deps: ThrottleDeps, keys: Keys): Promise<void> {
  const windowSeconds = deps.config.signIn.windowSeconds;
  const now = new Date(deps.clock.now());
  const expired = sql`${signInThrottles.windowStartedAt} <= ${now.toISOString()}::timestamptz - make_interval(secs => ${windowSeconds})`;
  await deps.db
    .insert(signInThrottles)
    .values([keys.account, keys.address].map((key) => ({ key, failures: 1, windowStartedAt: now })))
    .onConflictDoUpdate({
      target: signInThrottles.key,
      set: {
        failures: sql`case when ${expired} then 1 else ${signInThrottles.failures} + 1 end`,
        windowStartedAt: sql`case when ${expired} then excluded.window_started_at else ${signInThrottles.windowStartedAt} end`,
      },
    });
  if (Math.random() < CLEANUP_SHARE) {
    await deps.db.delete(signInThrottles).where(lt(signInThrottles.windowStartedAt, new Date(now.getTime() - windowSeconds * 1000)));
  }
}

/** A successful sign-in clears the account's failures (not the address'). */
export async function clearAccountFailures(deps: ThrottleDeps, keys: Keys): Promise<void> {
  await deps.db.delete(signInThrottles).where(inArray(signInThrottles.key, [keys.account]));
}
