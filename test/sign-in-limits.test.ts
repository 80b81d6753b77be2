import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AdjustableClock } from '../src/server/limits/clock.js';
import { signUpOrganization } from './factories/organizations.factory.js';
import { uniqueEmail } from './factories/unique.js';
import { useTestServer } from './helpers/test-server.js';

// One proxy hop is trusted, so each test signs in from addresses of its own.
const server = useTestServer({
  SIGN_IN_MAX_FAILURES_PER_ACCOUNT: '3',
  SIGN_IN_MAX_FAILURES_PER_IP: '8',
  SIGN_IN_WINDOW_SECONDS: '60',
  TRUST_PROXY_HOPS: '1',
});

const LOG_IN = `mutation($input: LogInInput!) { logIn(input: $input) { token user { id } } }`;

const uniqueAddress = (): string => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

interface Answer {
  token: string | undefined;
  code: string | undefined;
  message: string | undefined;
  retryAfterSeconds: number | undefined;
}

async function logIn(email: string, password: string, address: string): Promise<Answer> {
  const response = await fetch(`${server().url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
    body: JSON.stringify({ query: LOG_IN, variables: { input: { email, password } } }),
  });
  const body = (await response.json()) as { data?: { logIn: { token: string } } | null; errors?: { message: string; extensions: { code: string; retryAfterSeconds?: number } }[] };
  const [error] = body.errors ?? [];
  return { token: body.data?.logIn.token, code: error?.extensions.code, message: error?.message, retryAfterSeconds: error?.extensions.retryAfterSeconds };
}

const withoutNumbers = (answer: Answer): Answer => ({ ...answer, message: answer.message?.replace(/\d+/g, 'N'), retryAfterSeconds: answer.retryAfterSeconds === undefined ? undefined : 0 });

describe('sign-in throttling', () => {
  it('limits failed attempts per account, answering a known and an unknown email alike', async () => {
    const admin = await signUpOrganization(server().client);
    const unknown = uniqueEmail('nobody');
    const address = uniqueAddress();
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const wrongPassword = await logIn(admin.email, 'not-the-password', address);
      const unknownEmail = await logIn(unknown, 'not-the-password', address);
      expect(wrongPassword).toEqual({ token: undefined, code: 'UNAUTHENTICATED', message: 'Email or password is incorrect', retryAfterSeconds: undefined });
      expect(unknownEmail).toEqual(wrongPassword);
    }
    // The account is now locked for the window, even with the right password, from anywhere.
    const locked = await logIn(admin.email, admin.password, uniqueAddress());
    expect(locked.code).toBe('RATE_LIMITED');
    expect(locked.retryAfterSeconds).toBeGreaterThan(0);
    expect(locked.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(locked.token).toBeUndefined();
    const lockedUnknown = await logIn(unknown, 'anything-at-all', uniqueAddress());
    expect(withoutNumbers(lockedUnknown)).toEqual(withoutNumbers(locked));
    // Other accounts are not affected.
    const other = await signUpOrganization(server().client);
    expect((await logIn(other.email, other.password, address)).token).toBeTruthy();

    (server().server.deps.clock as AdjustableClock).advance(((locked.retryAfterSeconds ?? 0) + 1) * 1000);
    const again = await logIn(admin.email, admin.password, address);
    expect(again.code).toBeUndefined();
    expect(again.token).toBeTruthy();
  });

  it('limits failed attempts per address, across accounts', async () => {
    const admin = await signUpOrganization(server().client);
    const address = uniqueAddress();
    // Eight failures spread over accounts that are each below their own limit.
    for (let attempt = 0; attempt < 8; attempt += 1) {
      expect((await logIn(uniqueEmail('spray'), 'guess-number-one', address)).code).toBe('UNAUTHENTICATED');
    }
    const limited = await logIn(admin.email, admin.password, address);
    expect(limited.code).toBe('RATE_LIMITED');
    expect(limited.retryAfterSeconds).toBeGreaterThan(0);
    // The same account signs in from another address.
    expect((await logIn(admin.email, admin.password, uniqueAddress())).token).toBeTruthy();
  });

  it('clears an account\'s failures when it signs in', async () => {
    const admin = await signUpOrganization(server().client);
    const address = uniqueAddress();
    for (let attempt = 0; attempt < 2; attempt += 1) expect((await logIn(admin.email, 'wrong-password-here', address)).code).toBe('UNAUTHENTICATED');
    expect((await logIn(admin.email, admin.password, address)).token).toBeTruthy();
    // Two more failures would lock an account that had kept its earlier two.
    for (let attempt = 0; attempt < 2; attempt += 1) expect((await logIn(admin.email, 'wrong-password-here', address)).code).toBe('UNAUTHENTICATED');
    expect((await logIn(admin.email, admin.password, address)).token).toBeTruthy();
  });
});
