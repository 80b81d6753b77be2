import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Config } from '../src/config.js';
import { startChild, type Child } from './child-ipc.js';
import type { PixelFloorKind } from './pixel-floor.js';

/** Signs the benchmark's tokens; the server processes verify them with the same secret. */
const JWT_SECRET = 'bench-secret-only-for-the-local-benchmark-database';

export function benchConfig(databaseUrl: string, poolSize: number): Config {
  return loadConfig({
    JWT_SECRET,
    PULSE_DATA_DIR: '/tmp/pulse-bench',
    LOG_LEVEL: 'error',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: String(poolSize),
    // One tenant's token drives every client: costs are computed and charged, but never run out,
    // and thousands of sockets may share the user.
    QUERY_BUDGET: '1000000000',
    QUERY_BUDGET_RESTORE_RATE: '1000000000',
    WS_MAX_CONNECTIONS_PER_USER: '1000000',
  });
}

export type ServerJob =
  | {
      readonly kind: 'pulse';
      readonly databaseUrl: string;
      readonly poolSize: number;
      /** false: setEventPublication(false), the move benchmark's baseline. */
      readonly publication: boolean;
      /** false: /t/o/<token> answers the pixel without recording (the same server, static image). */
      readonly recordOpens: boolean;
    }
  | { readonly kind: 'bare-ws' }
  | { readonly kind: 'board-floor'; readonly databaseUrl: string; readonly poolSize: number; readonly organizationId: string; readonly pipelineId: string }
  | { readonly kind: 'pixel-floor'; readonly floor: PixelFloorKind };

export interface MemorySample {
  /** VmRSS after forced garbage collections, median of three. */
  readonly rssKb: number;
  readonly heapUsedKb: number;
  readonly externalKb: number;
}

export interface ServerChild {
  readonly pid: number;
  /** http://127.0.0.1:PORT (ws://...:PORT/graphql for bare-ws). */
  readonly url: string;
  memory(): Promise<MemorySample>;
  /** VmRSS after one full collection (a sample every few seconds costs the server little). */
  rssAfterGcKb(): Promise<{ rssKb: number; heapUsedKb: number }>;
  /** Live subscriptions (Pulse: the event hub's listeners; bare-ws: open sockets). */
  subscribers(): Promise<number>;
  broadcast(message: string): Promise<{ startedAt: number; sent: number }>;
  /** SQL statements drizzle sent meanwhile (Pulse only; BEGIN/COMMIT are the driver's and not listed). */
  recordStatements<T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }>;
  /** Waits for the tracking group-commit to write what it holds (Pulse only). */
  flushTracking(): Promise<void>;
  stop(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL('./server-process.ts', import.meta.url));

/** The V8 heap flags of `npm start` (package.json), so a benchmark measures the server as users run it. */
const START_FLAGS: string[] = (() => {
  const scripts = (JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as { scripts: Record<string, string> }).scripts;
  return (scripts['start'] ?? '').split(/\s+/).filter((flag) => flag.startsWith('--max-'));
})();

/** BENCH_PROFILE=1 writes a CPU profile of every Pulse server process to bench/results/profiles. */
const profileFlags = (job: ServerJob): string[] =>
  job.kind === 'pulse' && process.env['BENCH_PROFILE'] === '1'
    ? ['--cpu-prof', `--cpu-prof-dir=${fileURLToPath(new URL('./results/profiles', import.meta.url))}`]
    : [];

export async function startServerChild(job: ServerJob, lifetimeMs: number): Promise<ServerChild> {
  const child: Child = startChild(ENTRY, { nodeFlags: ['--expose-gc', ...(job.kind === 'pulse' ? START_FLAGS : []), ...profileFlags(job)], lifetimeMs });
  let url: string;
  try {
    url = (await child.call<{ url: string }>('start', job, 60_000)).url;
  } catch (error) {
    await child.stop();
    throw error;
  }
  return {
    pid: child.pid,
    url,
    memory: () => child.call<MemorySample>('memory'),
    rssAfterGcKb: () => child.call<{ rssKb: number; heapUsedKb: number }>('rss-after-gc'),
    subscribers: () => child.call<number>('subscribers'),
    broadcast: (message) => child.call('broadcast', message),
    recordStatements: async (work) => {
      await child.call('statements-start');
      const result = await work();
      return { result, statements: await child.call<string[]>('statements-stop') };
    },
    flushTracking: () => child.call('flush-tracking'),
    stop: () => child.stop(),
  };
}
