/** Concurrent closed-loop load: N clients, each sending its next request when the last one answered. */

export interface LoadOptions {
  /** Concurrent clients. */
  readonly connections: number;
  /** Requests run but not measured first (JIT, caches, pool connections). */
  readonly warmupMs: number;
  readonly durationMs: number;
}

export interface LoadSummary {
  /** Requests that started in the measured window and succeeded. */
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly maxMs: number;
  /** The first error's message, to say why a run failed. */
  readonly firstError: string | null;
}

/** Nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

/** Growable list of latencies; typed arrays keep a million samples cheap to keep and sort. */
class Samples {
  private values = new Float64Array(1 << 16);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length) {
      const larger = new Float64Array(this.values.length * 2);
      larger.set(this.values);
      this.values = larger;
    }
    this.values[this.length] = value;
    this.length += 1;
  }

  sorted(): Float64Array {
    return this.values.slice(0, this.length).sort();
  }
}

/**
 * Runs `request` from `connections` concurrent loops for warm-up plus duration. Every loop stops
 * by itself at the deadline; a request started before it is awaited, so at most one per loop
 * runs past it.
 */
export async function runLoad(request: () => Promise<void>, options: LoadOptions, onMeasureStart?: () => void): Promise<LoadSummary> {
  const warmupEnd = performance.now() + options.warmupMs;
  const measureStart = setTimeout(() => onMeasureStart?.(), options.warmupMs);
  const end = warmupEnd + options.durationMs;
  const samples = new Samples();
  let errors = 0;
  let firstError: string | null = null;
  let lastFinish = end;

  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const started = performance.now();
      let failed = false;
      try {
        await request();
      } catch (error) {
        failed = true;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
      const finished = performance.now();
      if (started < warmupEnd) continue;
      if (failed) errors += 1;
      else samples.push(finished - started);
      if (finished > lastFinish) lastFinish = finished;
    }
  };
  await Promise.all(Array.from({ length: options.connections }, loop));
  clearTimeout(measureStart);

  const seconds = (lastFinish - warmupEnd) / 1000;
  const sorted = samples.sorted();
  let total = 0;
  for (const value of sorted) total += value;
  return {
    requests: sorted.length,
    errors,
    seconds,
    requestsPerSecond: sorted.length / seconds,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    meanMs: sorted.length > 0 ? total / sorted.length : Number.NaN,
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
    firstError,
  };
}
