import { bigint, boolean, foreignKey, index, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { tenantKey, timestampMs } from '../../db/columns.js';
import type { Criterion } from '../records/criteria.js';
import { organizations } from '../organizations/organizations.table.js';
import { users } from '../users/users.table.js';

export type AssignedModule = 'leads' | 'contacts' | 'accounts' | 'deals';
export type AssignmentStrategy = 'USER' | 'ROUND_ROBIN' | 'TERRITORY';

/** One entry of a rule: when its criteria hold, the record goes to a user, the next user in turn, or the next of its territory's users. */
export interface AssignmentEntry {
  readonly id: string;
  readonly criteria: readonly Criterion[];
  readonly strategy: AssignmentStrategy;
  /** USER: one; ROUND_ROBIN: the rotation, in order; TERRITORY: none. */
  readonly userIds: readonly string[];
}

/** An assignment rule of a module: its entries are tried in order; none matching, the fallback owner takes the record. */
export const assignmentRules = pgTable(
  'assignment_rules',
  {
    ...tenantKey(),
    module: text('module').$type<AssignedModule>().notNull(),
    name: text('name').notNull(),
    active: boolean('active').notNull().default(true),
    entries: jsonb('entries').$type<AssignmentEntry[]>().notNull(),
    fallbackOwnerId: uuid('fallback_owner_id'),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    updatedAt: timestampMs('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'assignment_rules_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
    foreignKey({ name: 'assignment_rules_fallback_fk', columns: [t.organizationId, t.fallbackOwnerId], foreignColumns: [users.organizationId, users.id] }),
    index('assignment_rules_module_idx').on(t.organizationId, t.module),
  ],
);

export type AssignmentRuleRow = typeof assignmentRules.$inferSelect;

/**
 * Turns taken in each rotation (an entry, or an entry within one territory). The create that
 * takes a turn increments the row in its own transaction and holds its lock to the commit, so
 * two concurrent creates never take the same turn, and a rolled-back create gives its turn back.
 */
export const assignmentTurns = pgTable(
  'assignment_turns',
  {
    organizationId: uuid('organization_id').notNull(),
    ruleId: uuid('rule_id').notNull(),
    /** The entry id, or "entry:territory" for a territory's rotation. */
    slot: text('slot').notNull(),
    taken: bigint('taken', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.ruleId, t.slot] }),
    foreignKey({ name: 'assignment_turns_rule_fk', columns: [t.organizationId, t.ruleId], foreignColumns: [assignmentRules.organizationId, assignmentRules.id] }).onDelete('cascade'),
  ],
);

/** The name codegen maps the GraphQL `AssignmentEntry` type to (the generated file declares its own). */
export type AssignmentEntryValue = AssignmentEntry;
