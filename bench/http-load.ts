import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadOptions, LoadSummary } from './load.js';

export interface HttpLoadJob {
  /** http://127.0.0.1:PORT/path */
  readonly url: string;
  /** The POST body, sent as application/json. */
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly options: LoadOptions;
}

export type HttpLoadMessage =
  | { readonly kind: 'measuring' }
  | { readonly kind: 'done'; readonly summary: LoadSummary }
  | { readonly kind: 'failed'; readonly error: string };

const CHILD = fileURLToPath(new URL('./http-load-process.ts', import.meta.url));

/** Node flags to pass on (tsx's loader), without a profiler flag meant for the server process. */
const childExecArgv = (): string[] => process.execArgv.filter((flag) => !flag.startsWith('--cpu-prof') && !flag.startsWith('--heap-prof'));

/**
 * POSTs `job.body` from a separate process, `connections` at a time, and returns what it measured;
 * `onMeasureStart` runs here when the child's warm-up ends.
 */
export function runHttpLoad(job: HttpLoadJob, onMeasureStart?: () => void): Promise<LoadSummary> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [], { execArgv: childExecArgv(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let answer: HttpLoadMessage | undefined;
    const deadline = setTimeout(() => child.kill('SIGKILL'), job.options.warmupMs + job.options.durationMs + 90_000);
    child.on('message', (message: HttpLoadMessage) => {
      if (message.kind === 'measuring') onMeasureStart?.();
      else answer = message;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(deadline);
      if (answer?.kind === 'done') return resolve(answer.summary);
      if (answer?.kind === 'failed') return reject(new Error(`HTTP load failed: ${answer.error}`));
      reject(new Error(`HTTP load client exited with ${signal ?? code} before reporting`));
    });
    child.send(job);
  });
}
