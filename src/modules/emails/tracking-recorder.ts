import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { Logger } from '../../shared/logger.js';
import { writeSignals, type ResolvedSignal } from '../signals/signals.service.js';
import { organizationOfToken } from './tracking-tokens.js';

interface Hit {
  readonly token: string;
  readonly at: Date;
  /** Writes tried so far: a failed group is retried with the next flush, a few times. */
  readonly attempts: number;
}

const MAX_ATTEMPTS = 5;

const FLUSH_EVERY_MS = 25;
const FLUSH_AT = 500;

/**
 * Opens and clicks answer at once and are written in groups: every 25 ms (or 500 hits), one
 * transaction per organisation stores the counters, one signal per hit, the records' last
 * interaction, their timelines and the events, in a constant number of statements. A hit is
 * lost only if the process dies within those milliseconds (pixels are a lossy channel anyway);
 * a graceful stop flushes first.
 */
export class TrackingRecorder {
  private opens: Hit[] = [];
  private clicks: Hit[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {}

  open(token: string): void {
    this.add(this.opens, token);
  }

  click(token: string): void {
    this.add(this.clicks, token);
  }

  /** Writes whatever is waiting (used by stop and by tests). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const opens = this.opens;
    const clicks = this.clicks;
    this.opens = [];
    this.clicks = [];
    const previous = this.flushing;
    this.flushing = previous.then(() => this.write(opens, clicks));
    await this.flushing;
  }

  private add(list: Hit[], token: string): void {
    list.push({ token, at: new Date(), attempts: 0 });
    if (this.opens.length + this.clicks.length >= FLUSH_AT) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_EVERY_MS);
  }

  private async write(opens: Hit[], clicks: Hit[]): Promise<void> {
    const byOrganization = new Map<string, { opens: Hit[]; clicks: Hit[] }>();
    for (const [list, kind] of [[opens, 'opens'], [clicks, 'clicks']] as const) {
      for (const hit of list) {
        const organizationId = organizationOfToken(hit.token);
        if (!organizationId) continue;
        const group = byOrganization.get(organizationId) ?? { opens: [], clicks: [] };
        group[kind].push(hit);
        byOrganization.set(organizationId, group);
      }
    }
    for (const [organizationId, group] of byOrganization) {
      try {
        await inTransaction(this.db, (tx) => this.writeOrganization(tx, organizationId, group.opens, group.clicks));
      } catch (error) {
        const retry = (hit: Hit): Hit => ({ ...hit, attempts: hit.attempts + 1 });
        const opens = group.opens.filter((hit) => hit.attempts + 1 < MAX_ATTEMPTS).map(retry);
        const clicks = group.clicks.filter((hit) => hit.attempts + 1 < MAX_ATTEMPTS).map(retry);
        this.logger.error('recording email opens and clicks failed; retrying with the next group', {
          error,
          organizationId,
          retried: opens.length + clicks.length,
          dropped: group.opens.length + group.clicks.length - opens.length - clicks.length,
        });
        this.opens.push(...opens);
        this.clicks.push(...clicks);
        if (opens.length + clicks.length > 0 && !this.timer) {
          this.timer = setTimeout(() => void this.flush(), 1_000);
          this.timer.unref();
        }
      }
    }
  }

  private async writeOrganization(tx: Db, organizationId: string, opens: Hit[], clicks: Hit[]): Promise<void> {
    const signals: ResolvedSignal[] = [];
    if (opens.length > 0) {
      const counts = tally(opens);
      const values = sql.join([...counts].map(([token, { n, first }]) => sql`(${token}::text, ${n}::int, ${first.toISOString()}::timestamptz)`), sql`, `);
      const messages = rowsOf<{ id: string; open_token: string; lead_id: string | null; contact_id: string | null; subject: string }>(
        await tx.execute(sql`
          update email_messages m set open_count = m.open_count + hits.n, opened_at = coalesce(m.opened_at, hits.first)
          from (values ${values}) as hits(token, n, first)
          where m.organization_id = ${organizationId} and m.open_token = hits.token
          returning m.id, m.open_token, m.lead_id, m.contact_id, m.subject`),
      );
      const byToken = new Map(messages.map((message) => [message.open_token, message]));
      for (const hit of opens) {
        const message = byToken.get(hit.token);
        if (!message) continue;
        signals.push({ kind: 'EMAIL_OPENED', occurredAt: hit.at, leadId: message.lead_id, contactId: message.contact_id, emailMessageId: message.id, source: 'email', subject: message.subject });
      }
    }
    if (clicks.length > 0) {
      const counts = tally(clicks);
      const values = sql.join([...counts].map(([token, { n }]) => sql`(${token}::text, ${n}::int)`), sql`, `);
      const links = rowsOf<{ token: string; url: string; message_id: string; lead_id: string | null; contact_id: string | null; subject: string }>(
        await tx.execute(sql`
          with clicked as (
            update email_links l set click_count = l.click_count + hits.n
            from (values ${values}) as hits(token, n)
            where l.organization_id = ${organizationId} and l.token = hits.token
            returning l.token, l.url, l.message_id, hits.n
          ), messages as (
            update email_messages m set click_count = m.click_count + per.n
            from (select message_id, sum(n)::int as n from clicked group by message_id) as per
            where m.organization_id = ${organizationId} and m.id = per.message_id
            returning m.id, m.lead_id, m.contact_id, m.subject
          )
          select clicked.token, clicked.url, clicked.message_id, messages.lead_id, messages.contact_id, messages.subject
          from clicked join messages on messages.id = clicked.message_id`),
      );
      const byToken = new Map(links.map((link) => [link.token, link]));
      for (const hit of clicks) {
        const link = byToken.get(hit.token);
        if (!link) continue;
        signals.push({ kind: 'EMAIL_CLICKED', occurredAt: hit.at, leadId: link.lead_id, contactId: link.contact_id, emailMessageId: link.message_id, source: 'email', url: link.url, subject: link.subject });
      }
    }
    await writeSignals(tx, organizationId, null, signals);
  }
}

function tally(hits: readonly Hit[]): Map<string, { n: number; first: Date }> {
  const counts = new Map<string, { n: number; first: Date }>();
  for (const hit of hits) {
    const known = counts.get(hit.token);
    if (known) known.n += 1;
    else counts.set(hit.token, { n: 1, first: hit.at });
  }
  return counts;
}
