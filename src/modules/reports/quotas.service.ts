import { and, asc, eq, gte, lte, sql } from 'drizzle-orm';
import type { QuotaFilter, SetQuotaInput } from '../../generated/graphql.js';
import { badInput, forbidden, notFound } from '../../shared/errors.js';
import { money } from '../../shared/validation.js';
import { assertManages, canManage, readScope, recordScope } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import { users } from '../users/users.table.js';
import { forecastSettings, salesQuotas, type SalesQuotaRow } from './reports.table.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The first day of the month or quarter containing `date`. */
export function periodStartOf(period: 'MONTH' | 'QUARTER', date: string): string {
  if (!DATE.test(date) || Number.isNaN(Date.parse(date))) throw badInput('periodStart', 'periodStart must be a date (YYYY-MM-DD)');
  const [year, month] = date.split('-').map(Number) as [number, number];
  const first = period === 'QUARTER' ? Math.floor((month - 1) / 3) * 3 + 1 : month;
  return `${year}-${String(first).padStart(2, '0')}-01`;
}

/** Sets (or replaces) a user's quota: the REPORTS setting, which governs other users' reports, governs their targets too. */
export async function setQuota(s: Session, input: SetQuotaInput): Promise<SalesQuotaRow> {
  if (!canManage(s.viewer, 'reports')) throw forbidden('Only users whose profile manages reports set quotas');
  const amount = money('amount', input.amount);
  const [user] = await s.db.select({ id: users.id }).from(users).where(recordScope(s.viewer, 'users', users, input.userId));
  if (!user) throw notFound('User');
  const values = { organizationId: s.viewer.organizationId, userId: user.id, period: input.period, periodStart: periodStartOf(input.period, input.periodStart), amount };
  const [row] = await s.db
    .insert(salesQuotas)
    .values(values)
    .onConflictDoUpdate({ target: [salesQuotas.organizationId, salesQuotas.userId, salesQuotas.period, salesQuotas.periodStart], set: { amount, updatedAt: sql`now()` } })
    .returning();
  if (!row) throw new Error('upsert returned no quota');
  return row;
}

export async function listQuotas(s: Session, filter: QuotaFilter | null | undefined): Promise<SalesQuotaRow[]> {
  return s.db
    .select()
    .from(salesQuotas)
    .where(
      and(
        readScope(s.viewer, 'users', salesQuotas),
        filter?.userId ? eq(salesQuotas.userId, filter.userId) : undefined,
        filter?.period ? eq(salesQuotas.period, filter.period) : undefined,
        filter?.from ? gte(salesQuotas.periodStart, filter.from) : undefined,
        filter?.to ? lte(salesQuotas.periodStart, filter.to) : undefined,
      ),
    )
    .orderBy(asc(salesQuotas.periodStart), asc(salesQuotas.userId), asc(salesQuotas.period));
}

export async function getForecastSettings(s: Session): Promise<{ commitProbability: number }> {
  const [row] = await s.db.select().from(forecastSettings).where(eq(forecastSettings.organizationId, s.viewer.organizationId));
  return { commitProbability: row?.commitProbability ?? 70 };
}

export async function updateForecastSettings(s: Session, input: { commitProbability: number }): Promise<{ commitProbability: number }> {
  assertManages(s.viewer, 'organization');
  if (!Number.isInteger(input.commitProbability) || input.commitProbability < 0 || input.commitProbability > 100) {
    throw badInput('commitProbability', 'commitProbability must be between 0 and 100');
  }
  await s.db
    .insert(forecastSettings)
    .values({ organizationId: s.viewer.organizationId, commitProbability: input.commitProbability })
    .onConflictDoUpdate({ target: forecastSettings.organizationId, set: { commitProbability: input.commitProbability } });
  return { commitProbability: input.commitProbability };
}
