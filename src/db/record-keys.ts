import { foreignKey, primaryKey, type PgColumn } from 'drizzle-orm/pg-core';
import { organizations } from '../modules/organizations/organizations.table.js';
import { users } from '../modules/users/users.table.js';

interface RecordKeyColumns {
  organizationId: PgColumn;
  id: PgColumn;
  ownerId: PgColumn;
  createdById: PgColumn;
}

/** Primary key, tenant foreign key and user foreign keys shared by every CRM record table. */
export function recordKeys(name: string, t: RecordKeyColumns) {
  return [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: `${name}_organization_fk`, columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete(
      'cascade',
    ),
    foreignKey({
      name: `${name}_owner_fk`,
      columns: [t.organizationId, t.ownerId],
      foreignColumns: [users.organizationId, users.id],
    }),
    foreignKey({
      name: `${name}_created_by_fk`,
      columns: [t.organizationId, t.createdById],
      foreignColumns: [users.organizationId, users.id],
    }),
  ];
}
