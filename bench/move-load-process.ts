/**
 * Child-process entry of the move writers: `writers.length` closed loops, each moving its own
 * deals to the bottom of the next stage with the version it last saw. Started by move-load.ts.
 */
import { Agent, request as httpRequest } from 'node:http';
import { serveCommands } from './child-ipc.js';
import { MOVE_DEAL, type MovedDeal } from './live-graphql.js';
import type { DealState } from './live-data.js';
import { runLoad, type LoadSummary } from './load.js';
import type { MoveLoadJob } from './move-load.js';

interface Writer {
  readonly deals: DealState[];
  next: number;
}

interface Answer {
  readonly data?: MovedDeal | null;
  readonly errors?: readonly { message: string; extensions?: { code?: string; currentVersion?: number } }[];
}

function post(agent: Agent, url: string, token: string, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer);
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('request timed out after 30 s')));
    req.on('error', reject);
    req.end(body);
  });
}

async function run(job: MoveLoadJob): Promise<LoadSummary> {
  const host = new URL(job.url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost') throw new Error(`refusing to load ${host}: only 127.0.0.1 is a target`);
  const agent = new Agent({ keepAlive: true, maxSockets: job.writers.length });
  // Each loop takes a free writer and gives it back: with one loop per writer, each is always free.
  const free: Writer[] = job.writers.map((deals) => ({ deals: deals.map((deal) => ({ ...deal })), next: 0 }));
  const move = async (): Promise<void> => {
    const writer = free.pop();
    if (!writer) throw new Error('more loops than writers');
    try {
      const deal = writer.deals[writer.next % writer.deals.length];
      if (!deal) throw new Error('a writer without deals');
      writer.next += 1;
      const stageId = job.stageIds[(job.stageIds.indexOf(deal.stageId) + 1) % job.stageIds.length] ?? deal.stageId;
      const answer = await post(agent, job.url, job.token, JSON.stringify({ query: MOVE_DEAL, variables: { input: { id: deal.id, expectedVersion: deal.version, stageId } } }));
      const moved = answer.data?.moveDeal;
      if (!moved || answer.errors) {
        const current = answer.errors?.[0]?.extensions?.currentVersion;
        if (typeof current === 'number') deal.version = current;
        throw new Error(`moveDeal failed: ${JSON.stringify(answer.errors ?? answer).slice(0, 300)}`);
      }
      deal.version = moved.version;
      deal.stageId = moved.stage.id;
    } finally {
      free.push(writer);
    }
  };
  try {
    return await runLoad(move, { ...job.options, connections: job.writers.length });
  } finally {
    agent.destroy();
  }
}

serveCommands({ ready: () => null, run: (job: MoveLoadJob) => run(job) }, async () => undefined);
