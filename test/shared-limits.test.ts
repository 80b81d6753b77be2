import { describe, expect, it } from 'vitest';
import type { AdjustableClock } from '../src/server/limits/clock.js';
import { startServer, type PulseServer } from '../src/server/server.js';
import { createLogger } from '../src/shared/logger.js';
import { signUpOrganization } from './factories/organizations.factory.js';
import { GraphQLClient } from './helpers/graphql-client.js';
import { connectRaw } from './helpers/raw-socket.js';
import { useTestServer } from './helpers/test-server.js';

const server = useTestServer({
  QUERY_BUDGET_STORE: 'postgres',
  QUERY_BUDGET: '3000',
  QUERY_BUDGET_RESTORE_RATE: '1',
  SIGN_IN_MAX_FAILURES_PER_ACCOUNT: '2',
  WS_CONNECTION_STORE: 'postgres',
  WS_MAX_CONNECTIONS_PER_USER: '2',
});

/** A second API process on the same database, as behind a load balancer. */
async function secondProcess(): Promise<PulseServer> {
  const { config, testDatabase } = server();
  return startServer({ config, database: testDatabase.database, logger: createLogger(config.logLevel) }, { port: 0, host: '127.0.0.1' });
}

const HEAVY = `{ accounts(first: 100) { nodes { contacts(first: 11) { lastName } } } }`;

describe('limits shared by every process through PostgreSQL', () => {
  it('spends one budget across processes (QUERY_BUDGET_STORE=postgres) and refills it', async () => {
    const other = await secondProcess();
    try {
      const admin = await signUpOrganization(server().client);
      const here = admin.client;
      const there = new GraphQLClient(`${other.url}/graphql`, admin.token);
      // 1 + 100 x (1 + 11) = 1201 points: two here, the third there does not fit in 3000 (598 left, 1 restored a second).
      await here.ok(HEAVY);
      await here.ok(HEAVY);
      const limited = await there.fails('RATE_LIMITED', HEAVY);
      expect(limited.extensions?.['retryAfterSeconds']).toBeGreaterThan(0);
      await here.fails('RATE_LIMITED', HEAVY);
      // Both processes read time from their own clock; move both.
      for (const pulse of [server().server, other]) (pulse.deps.clock as AdjustableClock).advance(Number(limited.extensions?.['retryAfterSeconds']) * 1000 + 1000);
      await there.ok(HEAVY);
    } finally {
      await other.stop();
    }
  });

  it('counts failed sign-ins across processes', async () => {
    const other = await secondProcess();
    try {
      const admin = await signUpOrganization(server().client);
      const LOG_IN = `mutation($input: LogInInput!) { logIn(input: $input) { token } }`;
      const wrong = { input: { email: admin.email, password: 'not-the-password' } };
      await server().client.fails('UNAUTHENTICATED', LOG_IN, wrong);
      await new GraphQLClient(`${other.url}/graphql`).fails('UNAUTHENTICATED', LOG_IN, wrong);
      await server().client.fails('RATE_LIMITED', LOG_IN, { input: { email: admin.email, password: admin.password } });
    } finally {
      await other.stop();
    }
  });
  it('caps WebSocket connections per user across processes (WS_CONNECTION_STORE=postgres)', async () => {
    const other = await secondProcess();
    const wsUrlOf = (url: string): string => `${url.replace(/^http/, 'ws')}/graphql`;
    try {
      const admin = await signUpOrganization(server().client);
      const here = connectRaw(server().wsUrl, admin.token);
      const there = connectRaw(wsUrlOf(other.url), admin.token);
      expect(await here.acked).toBe(true);
      expect(await there.acked).toBe(true);
      // The third socket, on either process, finds both places taken.
      const third = connectRaw(wsUrlOf(other.url), admin.token);
      expect((await third.closed).code).toBe(4429);
      // Another user is counted on their own.
      const colleague = await signUpOrganization(server().client);
      const theirs = connectRaw(wsUrlOf(other.url), colleague.token);
      expect(await theirs.acked).toBe(true);
      // A closed socket gives its place back to whichever process the next one reaches.
      here.socket.close();
      await here.closed;
      let again = connectRaw(server().wsUrl, admin.token);
      for (let attempt = 0; attempt < 20 && !(await again.acked); attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        again = connectRaw(server().wsUrl, admin.token);
      }
      expect(await again.acked).toBe(true);
      for (const socket of [there, theirs, again]) socket.socket.close();
    } finally {
      await other.stop();
    }
  });
});
