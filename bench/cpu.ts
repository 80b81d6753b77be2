import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Sql } from 'postgres';

/**
 * CPU time spent per request, by the Node process serving it and by the PostgreSQL backends of
 * its pool. On a small shared machine this is steadier than throughput, and says which side of
 * the wire the time goes to.
 */

export interface CpuCost {
  /** Node process (server or in-process loops), user + system, per measured request. */
  readonly nodeMsPerRequest: number;
  /** The pool's PostgreSQL backends, per measured request; null where /proc cannot be read. */
  readonly postgresMsPerRequest: number | null;
}

let ticksPerSecond: number | undefined;
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime in ms of every process named postgres (Linux /proc); empty elsewhere. */
export function postgresCpuByPid(): Map<number, number> {
  const cpu = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return cpu;
  }
  const msPerTick = 1000 / clockTicks();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (!stat.slice(stat.indexOf('(') + 1, close).startsWith('postgres')) continue;
      // Fields after the command: state is field 3, utime 14, stime 15 (1-based).
      const fields = stat.slice(close + 2).split(' ');
      cpu.set(Number(entry), (Number(fields[11]) + Number(fields[12])) * msPerTick);
    } catch {
      // The process ended meanwhile, or is not ours to read.
    }
  }
  return cpu;
}

/** The backends of this pool: connections to this database named 'pulse' (openDatabase sets it). */
export async function poolBackendPids(sql: Sql): Promise<number[]> {
  const rows = await sql<{ pid: number }[]>`
    select pid from pg_stat_activity where datname = current_database() and application_name = 'pulse'`;
  return rows.map((row) => row.pid);
}

export interface CpuMeter {
  /** Call when measuring starts (synchronous: it runs inside the load's timer). */
  start(): void;
  finish(requests: number): Promise<CpuCost>;
}

export function cpuMeter(sql: Sql): CpuMeter {
  let nodeStart: NodeJS.CpuUsage | null = null;
  let postgresStart = new Map<number, number>();
  return {
    start: () => {
      nodeStart = process.cpuUsage();
      postgresStart = postgresCpuByPid();
    },
    finish: async (requests) => {
      const node = nodeStart ? process.cpuUsage(nodeStart) : null;
      const postgresEnd = postgresCpuByPid();
      const nodeMsPerRequest = node && requests > 0 ? (node.user + node.system) / 1000 / requests : Number.NaN;
      if (postgresEnd.size === 0 || requests === 0) return { nodeMsPerRequest, postgresMsPerRequest: null };
      let postgresMs = 0;
      for (const pid of await poolBackendPids(sql)) postgresMs += (postgresEnd.get(pid) ?? 0) - (postgresStart.get(pid) ?? 0);
      return { nodeMsPerRequest, postgresMsPerRequest: postgresMs / requests };
    },
  };
}
