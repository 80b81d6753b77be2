/**
 * Import benchmark: `npx tsx bench/import.bench.ts`. Leads from a generated CSV through the public
 * endpoint (POST /imports, then commitImport and its job) with validation and the duplicate
 * check on (policy SKIP, match by email) in a Pulse server running in a child process, whose RSS is
 * sampled throughout; against COPY of the same rows into the same table (the floor), in the same run.
 * Environment (all optional):
 *   BENCH_DATABASE_URL  postgres://... on this machine (default postgres://postgres@127.0.0.1:5432/pulse_bench_import)
 *   BENCH_ROWS          leads in the file (default 100000)
 *   BENCH_RULES         1: the importing organisation has the automation benchmark's rules (10 scoring
 *                       rules, an assignment rule of 3 entries, 5 workflow rules), which apply to
 *                       every imported lead as to any other (default: none)
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import postgres from 'postgres';
import { eq, sql as dsql } from 'drizzle-orm';
import { migrateDatabase, openDatabase } from '../src/db/database.js';
import { organizations } from '../src/modules/organizations/organizations.table.js';
import { benchDatabase, machineInfo, positiveEnv, sourceLine, writeResult } from './bench-env.js';
import { freshTenant } from './live-data.js';
import { benchConfig, startServerChild } from './server-child.js';
import { databaseCpuMs, processCpuMs } from './live-stats.js';
import { createAutomationRules } from './automation-rules.js';

const TARGET = { minRatio: 0.2, maxRssGrowthMb: 200 } as const;
const log = (line: string): void => {
  process.stdout.write(`[import] ${line}\n`);
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const CITIES = ['Berlin', 'Austin', 'Madrid', 'Toronto', 'Shanghai', 'Kuala Lumpur'];

function generate(rows: number, stamp: string): { file: string; records: string[][] } {
  const records: string[][] = [];
  const lines = ['First Name,Last Name,Email,Company,Phone,City'];
  for (let i = 0; i < rows; i += 1) {
    const record = [`First${i}`, `Last${i}`, `lead${i}-${stamp}@bench${i % 97}.example`, `Company ${i % 5000}`, `+49 30 ${String(100000 + (i % 899999))}`, CITIES[i % CITIES.length] ?? 'Berlin'];
    records.push(record);
    lines.push(record.join(','));
  }
  const file = `/tmp/pulse-import-bench-${stamp}.csv`;
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, records };
}

async function graphql(url: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: any; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/**
 * Each side starts right after a checkpoint: the first change to a page after one writes the
 * whole page to the WAL, so a side that met a checkpoint the other did not paid for it (PostgreSQL
 * CPU per 1,000 rows moved by a fifth between identical runs). Needs a superuser; else skipped.
 */
async function checkpoint(sql: postgres.Sql): Promise<void> {
  await sql`checkpoint`.catch(() => log('CHECKPOINT refused (not a superuser): the sides may meet checkpoints unevenly'));
}

async function main(): Promise<void> {
  const rows = positiveEnv('BENCH_ROWS', 100_000);
  const url = await benchDatabase('postgres://postgres@127.0.0.1:5432/pulse_bench_import');
  const config = benchConfig(url, 10);
  const database = await openDatabase({ url, poolSize: 4 });
  await migrateDatabase(database);
  const sql = postgres(url, { max: 2, onnotice: () => undefined });
  const info = await machineInfo(sql, url);
  const withRules = process.env['BENCH_RULES'] === '1';
  // The assignment rule rotates over four users.
  const tenant = await freshTenant(database.db, config, 'Import bench', withRules ? 4 : 1);
  // The free plan caps an import at 5,000 rows.
  await database.db.update(organizations).set({ plan: 'PROFESSIONAL' }).where(eq(organizations.id, tenant.organizationId));
  const stamp = Date.now().toString(36);
  const { file, records } = generate(rows, stamp);
  log(`${rows} leads, ${(readFileSync(file).length / 1e6).toFixed(1)} MB of CSV`);

  // Floor: COPY the same rows into the same table, in a second organisation.
  const floorTenant = await freshTenant(database.db, config, 'Import floor');
  const [owner] = await sql<{ id: string }[]>`select id from users where organization_id = ${floorTenant.organizationId} limit 1`;
  await checkpoint(sql);
  const copyDbCpu = await databaseCpuMs(sql);
  const copyClientCpu = process.cpuUsage();
  const copyStart = performance.now();
  const writable = await sql`copy leads (organization_id, id, owner_id, created_by_id, first_name, last_name, email, company, phone, city, status) from stdin with (format csv)`.writable();
  for (let start = 0; start < records.length; start += 5000) {
    const chunk = records
      .slice(start, start + 5000)
      .map((record) => [floorTenant.organizationId, randomUUID(), owner?.id, owner?.id, ...record.slice(0, 5).map((value) => `"${value}"`), record[5], 'Not Contacted'].join(','))
      .join('\n');
    if (!writable.write(`${chunk}\n`)) await new Promise((resolve) => writable.once('drain', resolve));
  }
  await new Promise<void>((resolve, reject) => writable.end((error?: Error | null) => (error ? reject(error) : resolve())));
  const copySeconds = (performance.now() - copyStart) / 1000;
  const copyCpu = { postgresMs: (await databaseCpuMs(sql)) - copyDbCpu, clientMs: (() => {
    const used = process.cpuUsage(copyClientCpu);
    return (used.user + used.system) / 1000;
  })() };
  log(`COPY: ${copySeconds.toFixed(2)} s, ${(rows / copySeconds).toFixed(0)} rows/s`);

  const server = await startServerChild({ kind: 'pulse', databaseUrl: url, poolSize: 10, publication: true, recordOpens: true }, 15 * 60_000);
  try {
    if (withRules) {
      await createAutomationRules(`${server.url}/graphql`, tenant);
      log('rules on: 10 scoring rules, an assignment rule of 3 entries, 5 workflow rules');
    }
    // Peak RSS two ways, neither of which slows the import much: live memory (VmRSS after one
    // forced collection every 5 s; the target applies to it: the import streams) and raw VmRSS
    // read from /proc every 0.1 s by this process (garbage V8 has not collected yet included).
    // The first version forced six collections every half second, which cost the server more
    // time than the import.
    const rssNow = (): number => Number(/VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1] ?? 0);
    const baseline = await server.memory();
    let peakKb = baseline.rssKb;
    // The live heap after the same collections: what the import holds, apart from the pages V8 keeps committed.
    let peakHeapKb = baseline.heapUsedKb;
    let rawPeakKb = rssNow();
    let sampling = true;
    const sampler = (async () => {
      for (let tick = 1; sampling; tick += 1) {
        rawPeakKb = Math.max(rawPeakKb, rssNow());
        if (tick % 50 === 0) {
          const sample = await server.rssAfterGcKb();
          peakKb = Math.max(peakKb, sample.rssKb);
          peakHeapKb = Math.max(peakHeapKb, sample.heapUsedKb);
        }
        await sleep(100);
      }
    })();
    await checkpoint(sql);
    const serverCpu = processCpuMs(server.pid);
    const pulseDbCpu = await databaseCpuMs(sql);
    const start = performance.now();
    const form = new FormData();
    form.append('module', 'leads');
    form.append('file', new Blob([readFileSync(file)]), 'leads.csv');
    const upload = await fetch(`${server.url}/imports`, { method: 'POST', headers: { authorization: `Bearer ${tenant.token}` }, body: form });
    const uploaded = (await upload.json()) as { id: string; status: string };
    if (upload.status !== 201) throw new Error(`upload failed: ${JSON.stringify(uploaded)}`);
    const uploadSeconds = (performance.now() - start) / 1000;
    await graphql(server.url, tenant.token, `mutation($id: ID!) { updateImportMapping(input: {id: $id, duplicatePolicy: SKIP, matchField: "email"}) { id } }`, { id: uploaded.id });
    await graphql(server.url, tenant.token, `mutation($id: ID!) { commitImport(id: $id) { id } }`, { id: uploaded.id });
    let status = 'QUEUED';
    let counts: Record<string, number> | null = null;
    while (status !== 'COMPLETED' && status !== 'FAILED') {
      await sleep(250);
      const data = await graphql(server.url, tenant.token, `query($id: ID!) { import(id: $id) { status counts { rowsRead created skipped rowsFailed } } }`, { id: uploaded.id });
      status = data.import.status;
      counts = data.import.counts;
    }
    const seconds = (performance.now() - start) / 1000;
    const pulseCpu = { serverMs: processCpuMs(server.pid) - serverCpu, postgresMs: (await databaseCpuMs(sql)) - pulseDbCpu };
    sampling = false;
    await sampler;
    const [stored] = await sql<{ n: number }[]>`select count(*)::int as n from leads where organization_id = ${tenant.organizationId}`;
    const rate = rows / seconds;
    const floorRate = rows / copySeconds;
    const growthMb = (peakKb - baseline.rssKb) / 1024;
    log(`Pulse: ${status}, ${seconds.toFixed(2)} s (upload ${uploadSeconds.toFixed(2)} s), ${rate.toFixed(0)} rows/s, ${stored?.n} leads stored, counts ${JSON.stringify(counts)}`);
    log(`ratio ${(rate / floorRate).toFixed(3)}x of COPY (target >= ${TARGET.minRatio}x): ${rate / floorRate >= TARGET.minRatio ? 'met' : 'not met'}`);
    log(`server RSS ${(baseline.rssKb / 1024).toFixed(0)} MB before, peak ${(peakKb / 1024).toFixed(0)} MB (after GC, sampled every 5 s): growth ${growthMb.toFixed(0)} MB (target < ${TARGET.maxRssGrowthMb}): ${growthMb < TARGET.maxRssGrowthMb ? 'met' : 'not met'}; raw VmRSS peak ${(rawPeakKb / 1024).toFixed(0)} MB (garbage included); live heap ${(baseline.heapUsedKb / 1024).toFixed(0)} MB before, peak ${(peakHeapKb / 1024).toFixed(0)} MB`);
    // CPU time is steadier than rows/s on a busy machine, and says which side the time goes to.
    const perK = (ms: number): string => `${((ms / rows) * 1000).toFixed(0)} ms`;
    log(`CPU per 1,000 rows: COPY ${perK(copyCpu.postgresMs)} PostgreSQL + ${perK(copyCpu.clientMs)} client; Pulse ${perK(pulseCpu.postgresMs)} PostgreSQL + ${perK(pulseCpu.serverMs)} server (CPU ratio ${((copyCpu.postgresMs + copyCpu.clientMs) / (pulseCpu.postgresMs + pulseCpu.serverMs)).toFixed(3)}x)`);
    log(sourceLine(info));
    writeResult('import', { info, rows, withRules, copySeconds, floorRowsPerSecond: floorRate, seconds, uploadSeconds, rowsPerSecond: rate, ratio: rate / floorRate, baselineRssKb: baseline.rssKb, peakRssKb: peakKb, rawPeakRssKb: rawPeakKb, baselineHeapUsedKb: baseline.heapUsedKb, peakHeapUsedKb: peakHeapKb, copyCpu, pulseCpu, status, counts, stored: stored?.n });
  } finally {
    await server.stop();
    await database.db.execute(dsql`delete from leads where organization_id = ${floorTenant.organizationId}`);
    await sql.end();
    await database.close();
  }
}

await main();
