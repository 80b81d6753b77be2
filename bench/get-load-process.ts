/**
 * Child-process entry of the tracking-pixel load: closed-loop GETs over keep-alive connections,
 * each answer checked byte for byte, every success counted (warm-up too) so that the benchmark
 * can compare it with what the server stored. Started by get-load.ts only; loopback only.
 */
import { Agent, get } from 'node:http';
import { serveCommands } from './child-ipc.js';
import type { GetLoadJob, GetLoadResult } from './get-load.js';
import { runLoad } from './load.js';

function fetchPixel(agent: Agent, url: string, expected: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
        if (res.headers['content-type'] !== 'image/gif' || !Buffer.concat(chunks).equals(expected)) return reject(new Error('not the pixel'));
        resolve();
      });
    });
    req.setTimeout(30_000, () => req.destroy(new Error('request timed out after 30 s')));
    req.on('error', reject);
  });
}

async function run(job: GetLoadJob): Promise<GetLoadResult> {
  const host = new URL(job.baseUrl).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost') throw new Error(`refusing to load ${host}: only 127.0.0.1 is a target`);
  const agent = new Agent({ keepAlive: true, maxSockets: job.options.connections });
  const expected = Buffer.from(job.expectBase64, 'base64');
  let next = 0;
  let okTotal = 0;
  let failedTotal = 0;
  const request = async (): Promise<void> => {
    const path = job.paths[next % job.paths.length] ?? '/';
    next += 1;
    try {
      await fetchPixel(agent, `${job.baseUrl}${path}`, expected);
      okTotal += 1;
    } catch (error) {
      failedTotal += 1;
      throw error;
    }
  };
  try {
    const summary = await runLoad(request, job.options);
    return { summary, okTotal, failedTotal };
  } finally {
    agent.destroy();
  }
}

serveCommands({ ready: () => null, run: (job: GetLoadJob) => run(job) }, async () => undefined);
