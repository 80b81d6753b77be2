import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TARGET, type FoundationResult, type SideResult } from './foundation.bench.js';

export const RESULTS_FILE = fileURLToPath(new URL('./results/foundation.json', import.meta.url));

export interface RunInfo {
  readonly startedAt: string;
  readonly node: string;
  readonly postgres: string;
  readonly cpus: number;
  readonly database: string;
  readonly organization: Readonly<Record<string, unknown>>;
  readonly poolSize: number;
  /** 1-minute load average before and after: the machine must be otherwise idle for fair figures. */
  readonly loadAverage: { readonly before: number; readonly after: number };
}

const number = (value: number, digits: number): string => (Number.isFinite(value) ? value.toFixed(digits) : '-');

function row(label: string, summary: SideResult | null): string {
  if (!summary) return `${label.padEnd(28)}${'(not measured)'.padStart(12)}`;
  return (
    label.padEnd(28) +
    number(summary.requestsPerSecond, 1).padStart(10) +
    number(summary.p50Ms, 2).padStart(10) +
    number(summary.p99Ms, 2).padStart(10) +
    number(summary.meanMs, 2).padStart(10) +
    String(summary.requests).padStart(10) +
    String(summary.errors).padStart(8) +
    number(summary.cpu.nodeMsPerRequest, 2).padStart(12) +
    (summary.cpu.postgresMsPerRequest === null ? '-' : number(summary.cpu.postgresMsPerRequest, 2)).padStart(10)
  );
}

/** The table and the ratios, as the issue asks for them. */
export function formatReport(result: FoundationResult, info: RunInfo): string {
  const { options } = result;
  const lines = [
    '',
    `Foundation benchmark: nested deals(first: 100), ${options.connections} concurrent clients, ` +
      `${options.durationMs / 1000} s measured after ${options.warmupMs / 1000} s warm-up each`,
    `${info.postgres}; Node ${info.node}; ${info.cpus} CPUs; pool ${info.poolSize} connections; ` +
      `load average ${number(info.loadAverage.before, 2)} before, ${number(info.loadAverage.after, 2)} after`,
    '',
    `${'side'.padEnd(28)}${'req/s'.padStart(10)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'mean ms'.padStart(10)}${'requests'.padStart(10)}${'errors'.padStart(8)}${'node cpu ms'.padStart(12)}${'pg cpu ms'.padStart(10)}`,
    row('floor: SQL in-process', result.floorSql),
    row('floor: SQL behind HTTP', result.floorHttp),
    row('Pulse: GraphQL over HTTP', result.pulse),
    '',
  ];
  lines.push('(cpu ms: CPU time per measured request of the Node process serving it, and of its pool\'s PostgreSQL backends)');
  if (result.pulseStatementsPerRequest !== null) {
    lines.push(`Pulse sends ${result.pulseStatementsPerRequest} SQL statements per request (authentication included); the floor sends 1.`);
  }
  const ratios = result.ratios;
  if (ratios) {
    lines.push(
      `Ratios against the HTTP floor (both sides pay HTTP and JSON; the in-process floor is shown for reference):`,
      `  throughput Pulse/floor: ${number(ratios.throughput, 2)}x   (target >= ${TARGET.minThroughputRatio}x)`,
      `  p99        Pulse/floor: ${number(ratios.p99, 2)}x   (target <= ${TARGET.maxP99Ratio}x)`,
      `  against the in-process floor: throughput ${number(ratios.throughputVsSql, 2)}x, p99 ${number(ratios.p99VsSql, 2)}x`,
      `  target ${ratios.targetMet ? 'MET' : 'NOT MET'}`,
    );
  } else {
    lines.push('Ratios need both sides (BENCH_ONLY was set).');
  }
  for (const [label, summary] of [['Pulse', result.pulse], ['floor (HTTP)', result.floorHttp], ['floor (SQL)', result.floorSql]] as const) {
    if (summary && summary.errors > 0) lines.push(`${label}: ${summary.errors} failed requests, first: ${summary.firstError}`);
  }
  if (info.loadAverage.before > info.cpus / 2) {
    lines.push(`warning: the machine was busy before the run (load ${number(info.loadAverage.before, 2)} on ${info.cpus} CPUs); figures are noisy`);
  }
  return `${lines.join('\n')}\n`;
}

export function writeResults(result: FoundationResult, info: RunInfo): string {
  mkdirSync(dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify({ benchmark: 'foundation', ...info, target: TARGET, ...result }, null, 2)}\n`);
  return RESULTS_FILE;
}
