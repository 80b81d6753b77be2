import { ConfigError, loadConfig } from './config.js';
import { migrateDatabase, openDatabase } from './db/database.js';
import { startServer } from './server/server.js';
import { createLogger } from './shared/logger.js';

/** A setting Pulse cannot run with: one line naming the variable, exit code 2. */
function cannotStart(error: ConfigError): never {
  process.stderr.write(`Pulse cannot start: ${error.message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) cannotStart(error);
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const database = await openDatabase({ url: config.databaseUrl, appUrl: config.databaseAppUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize });
  await migrateDatabase(database);
  logger.info('database ready', { kind: database.kind, appLogin: database.appDriver !== undefined, ...(database.kind === 'pglite' ? { dataDir: config.dataDir } : {}) });

  if (process.argv.includes('--demo')) {
    const { loadDemo } = await import('./demo/demo.js');
    const signIn = await loadDemo({ db: database.db, config, logger });
    process.stdout.write(`\nDemo organisation ready. Sign in with:\n  email:    ${signIn.email}\n  password: ${signIn.password}\n\n`);
  }

  let server;
  try {
    server = await startServer({ config, database, logger }, { port: config.port });
  } catch (error) {
    // The DATABASE_APP_URL login is checked as the server starts (after the migrations).
    if (error instanceof ConfigError) cannotStart(error);
    throw error;
  }
  process.stdout.write(`Pulse is serving GraphQL on ${server.url}/graphql (WebSocket: ${server.url.replace('http', 'ws')}/graphql)\n`);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    try {
      const started = Date.now();
      await server.stop();
      logger.debug('server stopped', { ms: Date.now() - started });
      await database.close();
      logger.info('stopped', { ms: Date.now() - started });
      process.exit(0);
    } catch (error) {
      logger.error('stop failed', { error });
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`Pulse failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
