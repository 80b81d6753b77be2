import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { workflowRules, type WorkflowRuleRow } from './workflows.table.js';

/**
 * The active rules, read once per transaction: a rule's own field updates write the
 * record again (in a savepoint of the same transaction), and those writes need the same list.
 */
const known = new WeakMap<Db, ReadonlyMap<string, WorkflowRuleRow[]>>();

export async function activeRules(tx: Db, organizationId: string, module: string): Promise<WorkflowRuleRow[]> {
  let byModule = known.get(tx);
  if (!byModule) {
    // Every module's at once: a rule's task or field update writes other modules' records too.
    const rules = await tx
      .select()
      .from(workflowRules)
      .where(and(eq(workflowRules.organizationId, organizationId), eq(workflowRules.active, true), isNull(workflowRules.deletedAt)));
    const grouped = new Map<string, WorkflowRuleRow[]>();
    for (const rule of rules) grouped.set(rule.module, [...(grouped.get(rule.module) ?? []), rule]);
    known.set(tx, grouped);
    byModule = grouped;
  }
  return byModule.get(module) ?? [];
}

/** A savepoint sees what its transaction already read. */
export function shareActiveRules(from: Db, to: Db): void {
  const byModule = known.get(from);
  if (byModule) known.set(to, byModule);
}
