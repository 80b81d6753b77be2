import { and, eq, inArray, like, sql } from 'drizzle-orm';
import type { Config } from '../src/config.js';
import type { Db } from '../src/db/database.js';
import { signUp } from '../src/modules/auth/auth.service.js';
import { deals } from '../src/modules/deals/deals.table.js';
import { organizations } from '../src/modules/organizations/organizations.table.js';
import { pipelines, stages } from '../src/modules/pipelines/pipelines.table.js';
import { insertUser } from '../src/modules/users/users.service.js';

/** A fresh organisation for one benchmark run (an earlier run's one, by name prefix, is removed first). */
export interface BenchTenant {
  readonly organizationId: string;
  /** The administrator's bearer token, signed with the servers' secret. */
  readonly token: string;
}

/**
 * Removes an earlier run's organisation. Not one DELETE: stages reference pipelines with NO ACTION
 * and have no cascading key to organizations, so deleting an organisation that has a pipeline
 * fails; stage history, deals and stages go first (the bench tenants have nothing else on deals).
 */
async function removeTenants(db: Db, name: string): Promise<void> {
  await db.transaction(async (tx) => {
    const old = await tx.select({ id: organizations.id }).from(organizations).where(like(organizations.name, `${name} %`));
    for (const { id } of old) {
      await tx.execute(sql`delete from deal_stage_history where organization_id = ${id}`);
      await tx.execute(sql`delete from deals where organization_id = ${id}`);
      await tx.execute(sql`delete from stages where organization_id = ${id}`);
      await tx.delete(organizations).where(eq(organizations.id, id));
    }
  });
}

export async function freshTenant(db: Db, config: Config, name: string, users = 1): Promise<BenchTenant> {
  // The name carries a run stamp so that user emails never clash with a leftover.
  await removeTenants(db, name);
  const stamp = Date.now().toString(36);
  const admin = await signUp({ db, config }, {
    organizationName: `${name} ${stamp}`,
    name: 'Bench Admin',
    email: `bench-admin-${stamp}@bench.pulse.test`,
    password: 'bench-password-not-secret',
  });
  const organizationId = admin.organization.id;
  for (let i = 1; i < users; i += 1) {
    await insertUser(db, { organizationId, name: `Bench User ${i}`, email: `bench-user-${i}-${stamp}@bench.pulse.test`, role: 'SALES_REP', passwordHash: null });
  }
  return { organizationId, token: admin.token };
}

export interface BoardTenant extends BenchTenant {
  readonly pipelineId: string;
  /** In board order (position). */
  readonly stageIds: string[];
}

/**
 * The default pipeline with `count` deals spread evenly over its 8 stages, owned by 20 users.
 * Board ranks are distinct valid fractional-indexing keys in COLLATE "C" order: 'a' + 8 digits +
 * 'V' (a key may not end in '0', which 'a' || lpad(n, 8, '0') would for n = 10, 20, ...).
 */
export async function boardTenant(db: Db, config: Config, count: number): Promise<BoardTenant> {
  const tenant = await freshTenant(db, config, 'Bench Live Org', 20);
  const org = tenant.organizationId;
  const [pipeline] = await db.select({ id: pipelines.id }).from(pipelines).where(and(eq(pipelines.organizationId, org), eq(pipelines.isDefault, true)));
  if (!pipeline) throw new Error('signUp made no default pipeline');
  const stageRows = await db.select({ id: stages.id }).from(stages).where(eq(stages.pipelineId, pipeline.id)).orderBy(stages.position);
  await db.execute(sql`
    insert into deals (organization_id, id, name, amount, currency, closing_date, pipeline_id, stage_id, probability,
      owner_id, created_by_id, board_rank, stage_entered_at, created_at, updated_at)
    select ${org}::uuid, gen_random_uuid(), 'Deal ' || g, (1000 + (g * 7919) % 500000)::numeric(18,2), 'USD',
      date '2026-01-01' + (g % 365), ${pipeline.id}::uuid, s.id, s.probability, u.id, u.id,
      'a' || lpad(g::text, 8, '0') || 'V', ts, ts, ts
    from generate_series(1, ${count}::int) g
      cross join lateral (select date_trunc('second', now()) - make_interval(secs => g * 60) as ts) t
      join (select (row_number() over (order by position) - 1)::int as n, id, probability
            from stages where organization_id = ${org}::uuid and pipeline_id = ${pipeline.id}::uuid) s on s.n = g % 8
      join (select (row_number() over (order by created_at, id) - 1)::int as n, id
            from users where organization_id = ${org}::uuid) u on u.n = g % 20`);
  await db.execute(sql`analyze deals`);
  return { ...tenant, pipelineId: pipeline.id, stageIds: stageRows.map((row) => row.id) };
}

export interface DealState {
  readonly id: string;
  version: number;
  stageId: string;
}

/** `n` deals of the pipeline with their current version and stage, the same ones every run. */
export async function dealStates(db: Db, organizationId: string, ids: readonly string[] | number): Promise<DealState[]> {
  const base = db.select({ id: deals.id, version: deals.version, stageId: deals.stageId }).from(deals);
  if (typeof ids === 'number') return base.where(eq(deals.organizationId, organizationId)).orderBy(deals.id).limit(ids);
  return base.where(and(eq(deals.organizationId, organizationId), inArray(deals.id, [...ids]))).orderBy(deals.id);
}

/** What every section of the live benchmark gets. */
export interface LiveContext {
  readonly databaseUrl: string;
  readonly poolSize: number;
  readonly db: Db;
  readonly sql: import('postgres').Sql;
  readonly tenant: BoardTenant;
  readonly log: (line: string) => void;
}
