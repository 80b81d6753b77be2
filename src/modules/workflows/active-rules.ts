import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import type { Viewer } from '../auth/viewer.js';
import { cachedRules } from '../records/automation-cache.js';
import { workflowRules, type WorkflowRuleRow } from './workflows.table.js';

/**
 * The active rules, read once per transaction: a rule's own field updates write the
 * record again (in a savepoint of the same transaction), and those writes need the same list.
 */
const known = new WeakMap<Db, ReadonlyMap<string, WorkflowRuleRow[]>>();

/** Every module's active rules at once: a rule's task or field update writes other modules' records too. */
async function rulesByModule(tx: Db, organizationId: string): Promise<ReadonlyMap<string, WorkflowRuleRow[]>> {
  const rules = await tx
    .select()
    .from(workflowRules)
    .where(and(eq(workflowRules.organizationId, organizationId), eq(workflowRules.active, true), isNull(workflowRules.deletedAt)));
  const grouped = new Map<string, WorkflowRuleRow[]>();
  for (const rule of rules) grouped.set(rule.module, [...(grouped.get(rule.module) ?? []), rule]);
  return grouped;
}

/** The module's active rules for a write by `viewer`: from the organisation's rule cache when the viewer carries its version. */
export async function activeRules(tx: Db, viewer: Viewer, module: string): Promise<WorkflowRuleRow[]> {
  let byModule = known.get(tx);
  if (!byModule) {
    byModule = await cachedRules(tx, viewer, 'workflows', (db) => rulesByModule(db, viewer.organizationId));
    known.set(tx, byModule);
  }
  return byModule.get(module) ?? [];
}

/** A savepoint sees what its transaction already read. */
export function shareActiveRules(from: Db, to: Db): void {
  const byModule = known.get(from);
  if (byModule) known.set(to, byModule);
}
