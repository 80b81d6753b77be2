import { fileURLToPath } from 'node:url';
import { startChild } from './child-ipc.js';
import type { DealState } from './live-data.js';
import type { LoadOptions, LoadSummary } from './load.js';

export interface MoveLoadJob {
  /** http://127.0.0.1:PORT/graphql */
  readonly url: string;
  readonly token: string;
  /** One list of deals per writer; a writer moves only its own, so writers never conflict. */
  readonly writers: readonly (readonly DealState[])[];
  /** The pipeline's stages in board order: each move sends a deal to the bottom of the next one. */
  readonly stageIds: readonly string[];
  readonly options: LoadOptions;
}

const ENTRY = fileURLToPath(new URL('./move-load-process.ts', import.meta.url));

/** moveDeal from a separate process, one closed loop per writer; `onMeasureStart` fires after warm-up. */
export async function runMoveLoad(job: MoveLoadJob, onMeasureStart: () => void): Promise<LoadSummary> {
  const child = startChild(ENTRY, { lifetimeMs: job.options.warmupMs + job.options.durationMs + 120_000 });
  try {
    await child.call('ready', null, 60_000); // modules loaded: the warm-up timer below matches the child's
    const warmup = setTimeout(onMeasureStart, job.options.warmupMs);
    const run = child.call<LoadSummary>('run', job, job.options.warmupMs + job.options.durationMs + 60_000);
    const summary = await run.finally(() => clearTimeout(warmup));
    return summary;
  } finally {
    await child.stop();
  }
}
