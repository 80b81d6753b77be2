import { fileURLToPath } from 'node:url';
import { startChild } from './child-ipc.js';
import type { LoadOptions, LoadSummary } from './load.js';

export interface GetLoadJob {
  /** http://127.0.0.1:PORT */
  readonly baseUrl: string;
  /** Paths requested in turn, e.g. /t/o/<token> of every message. */
  readonly paths: readonly string[];
  /** Every answer must be exactly these bytes (the pixel), with status 200. */
  readonly expectBase64: string;
  readonly options: LoadOptions;
}

export interface GetLoadResult {
  readonly summary: LoadSummary;
  /** Answers received in full and correct, warm-up included: what the server must have recorded. */
  readonly okTotal: number;
  readonly failedTotal: number;
}

const ENTRY = fileURLToPath(new URL('./get-load-process.ts', import.meta.url));

/** GETs from a separate process, `connections` at a time; `onMeasureStart` fires when the warm-up ends. */
export async function runGetLoad(job: GetLoadJob, onMeasureStart: () => void): Promise<GetLoadResult> {
  const child = startChild(ENTRY, { lifetimeMs: job.options.warmupMs + job.options.durationMs + 120_000 });
  try {
    await child.call('ready', null, 60_000);
    const warmup = setTimeout(onMeasureStart, job.options.warmupMs);
    return await child.call<GetLoadResult>('run', job, job.options.warmupMs + job.options.durationMs + 60_000).finally(() => clearTimeout(warmup));
  } finally {
    await child.stop();
  }
}
