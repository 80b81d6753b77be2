import { newRowId } from '../../db/row-id.js';
import { createHmac } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { JobInfo } from '../../jobs/job-queue.js';
import { inTransaction } from '../../db/transaction.js';
import type { WorkflowRuntime } from './workflow-runtime.js';
import { settleAction, settleRun } from './workflow-run-status.js';
import { webhookAttempts, workflowRules, type WorkflowRuleRow } from './workflows.table.js';
import { MATCH_KEY_FIELDS } from '../../db/columns.js';

export const WEBHOOK_JOB = 'workflows.webhook';
/** Retries after the first attempt; pg-boss doubles the delay each time (30 s, 1 min, 2 min, ...). */
export const WEBHOOK_RETRIES = 6;
export const WEBHOOK_RETRY_DELAY_SECONDS = 30;
const TIMEOUT_MS = 10_000;

export interface WebhookJob {
  readonly organizationId: string;
  readonly runId: string;
  readonly actionIndex: number;
  readonly ruleId: string;
  readonly url: string;
  readonly body: string;
}

export function signedWebhookBody(input: { rule: WorkflowRuleRow; module: string; trigger: string; runId: string; record: Readonly<Record<string, unknown>> }): string {
  const { organizationId: _organizationId, ...fields } = input.record;
  // The payload is the record's fields, as documented: not the match keys PostgreSQL keeps.
  const record = Object.fromEntries(Object.entries(fields).filter(([key]) => !MATCH_KEY_FIELDS.has(key)));
  return JSON.stringify({
    event: 'workflow.action',
    ruleId: input.rule.id,
    ruleName: input.rule.name,
    runId: input.runId,
    module: input.module,
    trigger: input.trigger,
    record,
    sentAt: new Date().toISOString(),
  });
}

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`, as the inbound signal webhooks use. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

async function post(url: string, body: string, secret: string): Promise<{ statusCode: number | null; error: string | null }> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-pulse-timestamp': timestamp, 'x-pulse-signature': webhookSignature(secret, timestamp, body), 'user-agent': 'Pulse-Workflows/1' },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await response.body?.cancel();
    return { statusCode: response.status, error: response.ok ? null : `HTTP ${response.status}` };
  } catch (error) {
    return { statusCode: null, error: error instanceof Error ? error.message.slice(0, 500) : 'request failed' };
  }
}

/** One delivery attempt: logged whatever happens; a failure is thrown so pg-boss retries with backoff, until the last. */
export async function deliverWebhook(runtime: WorkflowRuntime, job: WebhookJob, info: JobInfo): Promise<void> {
  const db = runtime.forOrganization(job.organizationId);
  const [rule] = await db.select().from(workflowRules).where(and(eq(workflowRules.organizationId, job.organizationId), eq(workflowRules.id, job.ruleId)));
  const started = Date.now();
  const result = rule ? await post(job.url, job.body, rule.webhookSecret) : { statusCode: null, error: 'The rule was deleted' };
  await db.insert(webhookAttempts).values({
    organizationId: job.organizationId,
    id: newRowId(),
    runId: job.runId,
    actionIndex: job.actionIndex,
    attempt: info.retryCount + 1,
    url: job.url,
    statusCode: result.statusCode,
    error: result.error,
    durationMs: Date.now() - started,
  });
  const last = info.retryCount >= WEBHOOK_RETRIES || !rule;
  if (result.error && !last) throw new Error(`webhook attempt ${info.retryCount + 1} failed: ${result.error}`);
  await inTransaction(db, async (tx) => {
    const outcome = result.error ? 'FAILED' : 'DONE';
    const error = result.error ? `Gave up after ${info.retryCount + 1} attempts: ${result.error}` : null;
    if (await settleAction(tx, job.organizationId, job.runId, job.actionIndex, 'QUEUED', outcome, error)) await settleRun(tx, job.organizationId, job.runId);
  });
}
