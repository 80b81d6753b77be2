/**
 * Child-process entry of every server the live benchmarks measure: Pulse itself (startServer, as
 * main.ts runs it) and the floors. Each gets a process of its own, like Pulse in production, so
 * that load generators and other servers do not share its event loop. Started by server-child.ts.
 */
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { openDatabase, type Database } from '../src/db/database.js';
import { setEventPublication } from '../src/db/transaction.js';
import { TrackingRecorder } from '../src/modules/emails/tracking-recorder.js';
import { startServer, type PulseServer } from '../src/server/server.js';
import { createLogger } from '../src/shared/logger.js';
import { startBareWsServer, type BareWsServer } from './bare-ws-server.js';
import { startBoardFloorServer } from './board-floor.js';
import { serveCommands } from './child-ipc.js';
import { startPixelFloor } from './pixel-floor.js';
import { benchConfig, type MemorySample, type ServerJob } from './server-child.js';

let stopServer: () => Promise<void> = async () => undefined;
let pulse: PulseServer | null = null;
let bare: BareWsServer | null = null;
let recording: string[] | null = null;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function rssKb(): number {
  const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match?.[1] ? Number(match[1]) : Math.round(process.memoryUsage.rss() / 1024);
}

async function memory(): Promise<MemorySample> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const samples: MemorySample[] = [];
  for (let i = 0; i < 3; i += 1) {
    gc?.();
    await sleep(50);
    gc?.();
    await sleep(150);
    const usage = process.memoryUsage();
    samples.push({ rssKb: rssKb(), heapUsedKb: Math.round(usage.heapUsed / 1024), externalKb: Math.round(usage.external / 1024) });
  }
  samples.sort((a, b) => a.rssKb - b.rssKb);
  const median = samples[1];
  if (!median) throw new Error('no memory sample');
  return median;
}

async function start(job: ServerJob): Promise<{ url: string }> {
  switch (job.kind) {
    case 'pulse': {
      const config = benchConfig(job.databaseUrl, job.poolSize);
      if (!job.publication) setEventPublication(false);
      // A bench-only switch for the "same server, static pixel" floor; Pulse itself is untouched.
      if (!job.recordOpens) TrackingRecorder.prototype.open = () => undefined;
      const database: Database = await openDatabase({ url: job.databaseUrl, poolSize: job.poolSize, onQuery: (query) => recording?.push(query) });
      pulse = await startServer({ config, database, logger: createLogger(config.logLevel) }, { port: 0, host: '127.0.0.1' });
      const server = pulse;
      stopServer = async () => {
        await server.stop();
        await database.close();
      };
      return { url: server.url };
    }
    case 'bare-ws': {
      bare = await startBareWsServer();
      const server = bare;
      stopServer = () => server.stop();
      return { url: server.url };
    }
    case 'board-floor': {
      const sql = postgres(job.databaseUrl, { max: job.poolSize, onnotice: () => undefined, connection: { application_name: 'pulse-bench-floor' } });
      const server = await startBoardFloorServer(sql, job.organizationId, job.pipelineId);
      stopServer = async () => {
        await server.stop();
        await sql.end({ timeout: 5 });
      };
      return { url: server.url };
    }
    case 'pixel-floor': {
      const server = await startPixelFloor(job.floor);
      stopServer = () => server.stop();
      return { url: server.url };
    }
  }
}

serveCommands(
  {
    start: (job: ServerJob) => start(job),
    memory: () => memory(),
    // One collection, then VmRSS: cheap enough to sample every few seconds during a run.
    'rss-after-gc': () => {
      (globalThis as { gc?: () => void }).gc?.();
      return { rssKb: rssKb(), heapUsedKb: Math.round(process.memoryUsage().heapUsed / 1024) };
    },
    subscribers: () => pulse?.deps.hub.subscriberCount() ?? bare?.clients() ?? 0,
    broadcast: (message: string) => {
      if (!bare) throw new Error('broadcast needs the bare-ws server');
      return bare.broadcast(message);
    },
    'statements-start': () => {
      recording = [];
    },
    'statements-stop': () => {
      const statements = recording ?? [];
      recording = null;
      return statements;
    },
    'flush-tracking': async () => {
      await pulse?.deps.tracking.flush();
    },
  },
  () => stopServer(),
);
