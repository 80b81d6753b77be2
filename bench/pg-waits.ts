import type { Sql } from 'postgres';

/** What this database's active backends were waiting on, sampled every `everyMs` (lock contention shows here). */
export interface WaitProfile {
  readonly samples: number;
  /** Mean number of active backends per sample, by wait ("CPU" when not waiting). */
  readonly activeByWait: Record<string, number>;
}

export function sampleWaits(sql: Sql, everyMs = 100): { stop(): Promise<WaitProfile> } {
  const totals = new Map<string, number>();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const rows = await sql<{ wait: string; n: number }[]>`
        select coalesce(wait_event_type || ':' || wait_event, 'CPU') as wait, count(*)::int as n
        from pg_stat_activity
        where datname = current_database() and state = 'active' and backend_type = 'client backend' and pid <> pg_backend_pid()
        group by 1`;
      samples += 1;
      for (const row of rows) totals.set(row.wait, (totals.get(row.wait) ?? 0) + row.n);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      const activeByWait: Record<string, number> = {};
      for (const [wait, n] of [...totals].sort((a, b) => b[1] - a[1])) activeByWait[wait] = Number((n / Math.max(1, samples)).toFixed(2));
      return { samples, activeByWait };
    },
  };
}
