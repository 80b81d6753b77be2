/**
 * What PRIVATE sharing costs a list read: `deals(first: 100)` with its totalCount, through the
 * service (so through `readScope`), for a rep (own deals) and a manager (own plus ten reps'),
 * with the module PUBLIC_READ_WRITE (the baseline, measured in the same run) and then PRIVATE.
 * 50,000 deals owned by 56 users; a fresh database each run (ACCESS_BENCH_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/pulse_access_bench). Takes well under a minute.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { loadConfig } from '../src/config.js';
import { migrateDatabase, openDatabase } from '../src/db/database.js';
import { inTransaction } from '../src/db/transaction.js';
import { AccessCache } from '../src/modules/access-control/access-summary.js';
import { accessChanged } from '../src/modules/access-control/access-version.js';
import { roles, sharingSettings } from '../src/modules/access-control/access-control.table.js';
import { createDefaultAccess } from '../src/modules/access-control/profiles.service.js';
import { viewerOf } from '../src/modules/auth/viewer-source.js';
import type { JobQueue } from '../src/jobs/job-queue.js';
import type { Viewer } from '../src/modules/auth/viewer.js';
import { listDeals } from '../src/modules/deals/deals.service.js';
import { organizations } from '../src/modules/organizations/organizations.table.js';
import { DEFAULT_STAGES, insertPipeline } from '../src/modules/pipelines/pipelines.service.js';
import { users } from '../src/modules/users/users.table.js';
import { assertLoopback, ensureDatabaseExists } from './bench-database.js';

const url = process.env['ACCESS_BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/pulse_access_bench';
const DEALS = 50_000;
const ITERATIONS = Number(process.env['BENCH_ITERATIONS'] ?? 150);

assertLoopback(url);
await ensureDatabaseExists(url, true);
const database = await openDatabase({ url, poolSize: 4 });
await migrateDatabase(database);
const { db } = database;
const config = loadConfig({ JWT_SECRET: 'bench-secret-that-is-long-enough-for-hs256', LOG_LEVEL: 'silent', PULSE_DATA_DIR: '/tmp/pulse-access-bench' });

const organizationId = randomUUID();
const managers: string[] = [];
const reps: string[] = [];
await inTransaction(db, async (tx) => {
  await tx.insert(organizations).values({ id: organizationId, name: 'Access bench' });
  const access = await createDefaultAccess(tx, organizationId);
  const pipeline = await insertPipeline(tx, organizationId, 'Standard', DEFAULT_STAGES, true);
  const person = async (name: string, roleId: string): Promise<string> => {
    const id = randomUUID();
    await tx.insert(users).values({ organizationId, id, name, email: `${id}@bench.test`, role: 'SALES_REP', profileId: access.standardProfileId, roleId });
    return id;
  };
  for (let m = 0; m < 5; m += 1) {
    const managerRole = randomUUID();
    await tx.insert(roles).values({ organizationId, id: managerRole, name: `Manager ${m}`, parentId: access.topRoleId });
    const repRole = randomUUID();
    await tx.insert(roles).values({ organizationId, id: repRole, name: `Reps ${m}`, parentId: managerRole });
    managers.push(await person(`Manager ${m}`, managerRole));
    for (let r = 0; r < 10; r += 1) reps.push(await person(`Rep ${m}.${r}`, repRole));
  }
  const owners = [...managers, ...reps, await person('Peer at the top', access.topRoleId)];
  await tx.execute(sql`
    insert into deals (organization_id, id, name, currency, pipeline_id, stage_id, probability, owner_id, created_at)
    select ${organizationId}::uuid, gen_random_uuid(), 'Deal ' || n, 'USD', ${pipeline.id}::uuid,
      (select id from stages where organization_id = ${organizationId}::uuid and pipeline_id = ${pipeline.id}::uuid order by position limit 1),
      10, (${sql.raw(`array[${owners.map((id) => `'${id}'::uuid`).join(',')}]`)})[1 + n % ${owners.length}],
      now() - (n || ' seconds')::interval
    from generate_series(1, ${DEALS}) n`);
});
await db.execute(sql`analyze`);

const cache = new AccessCache();
async function viewerFor(userId: string): Promise<Viewer> {
  const [row] = await db.select({ roleId: users.roleId, profileId: users.profileId, name: users.name, email: users.email, role: users.role }).from(users).where(sql`${users.organizationId} = ${organizationId} and ${users.id} = ${userId}`);
  const [org] = await db.select().from(organizations).where(sql`${organizations.id} = ${organizationId}`);
  if (!row || !org) throw new Error('bench user missing');
  return viewerOf({ db, accessCache: cache }, { ...row, userId, organizationId, country: org.country, currency: org.currency, hotDays: org.hotDays, warmDays: org.warmDays, coolingDays: org.coolingDays, accessVersion: org.accessVersion, trustedDocumentsOnly: false, plan: org.plan, pausedAt: null }, null);
}

async function measure(viewer: Viewer): Promise<{ ms: number; rows: number; total: number }> {
  // Listing deals queues no job; the benchmark runs without a job queue.
  const session = { db, viewer, config, jobs: null as unknown as JobQueue };
  let rows = 0;
  let total = 0;
  for (let i = 0; i < 10; i += 1) await listDeals(session, { first: 100 });
  const started = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i += 1) {
    const page = await listDeals(session, { first: 100 });
    rows = page.nodes.length;
    total = await page.totalCount();
  }
  return { ms: Number(process.hrtime.bigint() - started) / 1e6 / ITERATIONS, rows, total };
}

async function setSharing(level: string): Promise<void> {
  await inTransaction(db, async (tx) => {
    await tx.insert(sharingSettings).values({ organizationId, module: 'deals', access: level }).onConflictDoUpdate({ target: [sharingSettings.organizationId, sharingSettings.module], set: { access: level } });
    await accessChanged(tx, organizationId, null);
  });
}

const results: Record<string, { ms: number; rows: number; total: number }> = {};
for (const level of ['PUBLIC_READ_WRITE', 'PRIVATE']) {
  await setSharing(level);
  results[`rep ${level}`] = await measure(await viewerFor(reps[0]!));
  results[`manager ${level}`] = await measure(await viewerFor(managers[0]!));
}
console.log(`deals(first: 100) + totalCount over ${DEALS} deals, ${ITERATIONS} reads each (ms per read):`);
for (const [name, result] of Object.entries(results)) console.log(`  ${name.padEnd(28)} ${result.ms.toFixed(2)} ms  (${result.rows} rows, total ${result.total})`);
for (const who of ['rep', 'manager']) {
  const ratio = results[`${who} PRIVATE`]!.ms / results[`${who} PUBLIC_READ_WRITE`]!.ms;
  console.log(`  ${who}: PRIVATE / PUBLIC_READ_WRITE = ${ratio.toFixed(2)}x`);
}
await database.close();
