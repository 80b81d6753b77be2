/**
 * Child-process entry of the HTTP load client: the client's own CPU (sockets, parsing) is kept off
 * the event loop of the server it measures. Started by `http-load.ts` only.
 */
import { Agent, request as httpRequest } from 'node:http';
import { runLoad } from './load.js';
import type { HttpLoadJob, HttpLoadMessage } from './http-load.js';

function post(agent: Agent, job: HttpLoadJob): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      job.url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(job.body), ...job.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`));
          // A GraphQL error still answers 200; the body must carry data only.
          const text = Buffer.concat(chunks).toString('utf8');
          if (text.includes('"errors"')) return reject(new Error(`error in response: ${text.slice(0, 300)}`));
          resolve();
        });
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('request timed out after 30 s')));
    req.on('error', reject);
    req.end(job.body);
  });
}

function send(message: HttpLoadMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, () => resolve());
  });
}

process.once('message', (job: HttpLoadJob) => {
  // Never outlive the run, whatever happens to the parent.
  const guard = setTimeout(() => process.exit(3), job.options.warmupMs + job.options.durationMs + 60_000);
  guard.unref();
  const host = new URL(job.url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost') {
    void send({ kind: 'failed', error: `refusing to load ${host}: only 127.0.0.1 is a target` }).then(() => process.exit(2));
    return;
  }
  const agent = new Agent({ keepAlive: true, maxSockets: job.options.connections });
  runLoad(() => post(agent, job), job.options, () => void send({ kind: 'measuring' }))
    .then((summary) => send({ kind: 'done', summary }))
    .catch((error: unknown) => send({ kind: 'failed', error: error instanceof Error ? error.message : String(error) }))
    .finally(() => {
      agent.destroy();
      process.exit(0);
    });
});
