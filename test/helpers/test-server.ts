import { afterAll, beforeAll } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { startServer, type PulseServer } from '../../src/server/server.js';
import { createLogger } from '../../src/shared/logger.js';
import { GraphQLClient } from './graphql-client.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

export interface TestServer {
  readonly server: PulseServer;
  readonly testDatabase: TestDatabase;
  readonly config: Config;
  readonly url: string;
  readonly wsUrl: string;
  /** A client with no token; `.as(token)` for a signed-in one. */
  readonly client: GraphQLClient;
  /** Runs `work` and returns how many SQL statements the server sent meanwhile. */
  countStatements(work: () => Promise<unknown>): Promise<{ count: number; statements: string[] }>;
  /**
   * For a read that can run again: the fewest statements of a few runs. The server's own timers
   * (event polling, job sweeps) send statements too, and one can land in any window; it cannot
   * land in every one, while a statement per record would show in every run.
   */
  fewestStatements(work: () => Promise<unknown>, runs?: number): Promise<{ count: number; statements: string[] }>;
}

/** Variables the server starts with; a function is given the file's own database URL (absent on PGlite). */
export type TestEnv = Record<string, string> | ((databaseUrl: string | undefined) => Record<string, string>);

export async function startTestServer(env: TestEnv = {}): Promise<TestServer> {
  let recording: string[] | null = null;
  const configFor = (databaseUrl: string | undefined): Config =>
    loadConfig({
      JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256-signing',
      LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
      PULSE_DATA_DIR: '/tmp/pulse-test-unused',
      ...(typeof env === 'function' ? env(databaseUrl) : env),
    });
  let config: Config | undefined;
  // The database is opened here, not from the config's DATABASE_URL; only DATABASE_APP_URL is taken from it.
  const testDatabase = await createTestDatabase(
    (query) => recording?.push(query),
    (url) => (config = configFor(url)).databaseAppUrl,
  );
  config ??= configFor(undefined);
  const logger = createLogger(config.logLevel);
  let server: PulseServer;
  try {
    server = await startServer({ config, database: testDatabase.database, logger }, { port: 0, host: '127.0.0.1' });
  } catch (error) {
    await testDatabase.drop();
    throw error;
  }
  const countStatements = async (work: () => Promise<unknown>) => {
    recording = [];
    try {
      await work();
      return { count: recording.length, statements: recording };
    } finally {
      recording = null;
    }
  };
  return {
    server,
    testDatabase,
    config,
    url: server.url,
    wsUrl: `${server.url.replace('http', 'ws')}/graphql`,
    client: new GraphQLClient(`${server.url}/graphql`),
    countStatements,
    fewestStatements: async (work, runs = 3) => {
      let fewest = await countStatements(work);
      for (let run = 1; run < runs; run += 1) {
        const next = await countStatements(work);
        if (next.count < fewest.count) fewest = next;
      }
      return fewest;
    },
  };
}

/** Starts one server + database for the test file and stops both after it. */
export function useTestServer(env: TestEnv = {}): () => TestServer {
  let current: TestServer | undefined;
  beforeAll(async () => {
    current = await startTestServer(env);
  });
  afterAll(async () => {
    if (!current) return;
    await current.server.stop();
    await current.testDatabase.drop();
  });
  return () => {
    if (!current) throw new Error('the test server is not started yet');
    return current;
  };
}
