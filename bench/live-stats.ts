import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { Sql } from 'postgres';
import { percentile } from './load.js';

/** Wall-clock milliseconds with sub-millisecond precision, comparable between processes of one machine. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

export interface Distribution {
  readonly count: number;
  readonly minMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

export function distribution(values: readonly number[]): Distribution {
  const sorted = Float64Array.from(values).sort();
  let total = 0;
  for (const value of sorted) total += value;
  return {
    count: sorted.length,
    minMs: sorted[0] ?? Number.NaN,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
    meanMs: sorted.length > 0 ? total / sorted.length : Number.NaN,
  };
}

export const loadAverage = (): number => Number((loadavg()[0] ?? 0).toFixed(2));

/** Fixed-width number for the tables; '-' when not measured. */
export const fixed = (value: number | null | undefined, digits = 1): string =>
  value === null || value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);

export function table(header: readonly string[], rows: readonly (readonly string[])[], firstWidth = 34): string {
  const line = (cells: readonly string[]): string => cells.map((cell, index) => (index === 0 ? cell.padEnd(firstWidth) : cell.padStart(11))).join('');
  return [line(header), ...rows.map(line)].join('\n');
}

const TICK_MS = 10; // CLK_TCK is 100 on Linux

/** utime + stime of a process in ms (Linux /proc); NaN elsewhere. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return Number.NaN;
  }
}

/** CPU of the PostgreSQL backends connected to this database, summed (ms). */
export async function databaseCpuMs(sql: Sql): Promise<number> {
  const rows = await sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database() and backend_type = 'client backend'`;
  let total = 0;
  for (const { pid } of rows) {
    const ms = processCpuMs(pid);
    if (Number.isFinite(ms)) total += ms;
  }
  return total;
}

export interface CpuWindow {
  /** Call when the measured window starts. */
  start(): void;
  /** CPU ms per unit of work of the server process and of the database backends. */
  finish(units: number): Promise<{ serverMsPerOp: number; postgresMsPerOp: number }>;
}

/** CPU spent by `pid` and by this database's backends between start() and finish(). */
export function cpuWindow(sql: Sql, pid: number): CpuWindow {
  let server = Number.NaN;
  let postgres: Promise<number> = Promise.resolve(Number.NaN);
  return {
    start: () => {
      server = processCpuMs(pid);
      postgres = databaseCpuMs(sql);
    },
    finish: async (units) => {
      const serverMs = processCpuMs(pid) - server;
      const postgresMs = (await databaseCpuMs(sql)) - (await postgres);
      return { serverMsPerOp: serverMs / units, postgresMsPerOp: postgresMs / units };
    },
  };
}
