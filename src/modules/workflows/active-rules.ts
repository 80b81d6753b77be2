import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { workflowRules, type WorkflowRuleRow } from './workflows.table.js';

/**
 * The active rules of a module, read once per transaction: a rule's own field updates write the
 * record again (in a savepoint of the same transaction), and those writes need the same list.
 */
const known = new WeakMap<Db, Map<string, WorkflowRuleRow[]>>();

export async function activeRules(tx: Db, organizationId: string, module: string): Promise<WorkflowRuleRow[]> {
  const cached = known.get(tx)?.get(module);
  if (cached) return cached;
  const rules = await tx
    .select()
    .from(workflowRules)
    .where(and(eq(workflowRules.organizationId, organizationId), eq(workflowRules.module, module), eq(workflowRules.active, true), isNull(workflowRules.deletedAt)));
  const byModule = known.get(tx) ?? new Map<string, WorkflowRuleRow[]>();
  byModule.set(module, rules);
  known.set(tx, byModule);
  return rules;
}

/** A savepoint sees what its transaction already read. */
export function shareActiveRules(from: Db, to: Db): void {
  const byModule = known.get(from);
  if (byModule) known.set(to, byModule);
}
