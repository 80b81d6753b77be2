import { readdirSync, readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';

const DRIZZLE = new URL('../drizzle/', import.meta.url);
const migrations = readdirSync(DRIZZLE)
  .filter((file) => /^\d{4}_.*\.sql$/.test(file))
  .sort();
/** The first access control migration, whatever number it ends up with. */
const firstAccess = migrations.findIndex((file) => file.endsWith('_access_control.sql'));

async function apply(db: PGlite, files: readonly string[]): Promise<void> {
  for (const file of files) {
    for (const statement of readFileSync(new URL(file, DRIZZLE), 'utf8').split('--> statement-breakpoint')) {
      if (statement.trim()) await db.exec(statement);
    }
  }
}

describe('access control migrations', () => {
  it('give organisations that existed before them both profiles and a CEO role, keeping what everyone could do', async () => {
    const db = new PGlite();
    try {
      await apply(db, migrations.slice(0, firstAccess));
      await db.exec(`
        insert into organizations (id, name) values ('00000000-0000-4000-8000-000000000001', 'Old Org');
        insert into users (organization_id, id, name, email, role) values
          ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-0000000000a1', 'Ada', 'ada@example.com', 'ADMIN'),
          ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-0000000000b2', 'Sam', 'sam@example.com', 'SALES_REP');
      `);
      await apply(db, migrations.slice(firstAccess));
      const users = await db.query<{ name: string; built_in: string; role_name: string | null; module_permissions: Record<string, string[]>; settings: string[] }>(`
        select u.name, p.built_in, r.name as role_name, p.module_permissions, p.settings
        from users u join profiles p on p.organization_id = u.organization_id and p.id = u.profile_id
        left join roles r on r.organization_id = u.organization_id and r.id = u.role_id order by u.name`);
      expect(users.rows.map((row) => [row.name, row.built_in, row.role_name])).toEqual([
        ['Ada', 'ADMINISTRATOR', 'CEO'],
        ['Sam', 'STANDARD', null],
      ]);
      const standard = users.rows[1]!;
      expect(Object.keys(standard.module_permissions).sort()).toEqual(['accounts', 'activities', 'contacts', 'deals', 'emails', 'leads', 'notes', 'signals']);
      expect(standard.module_permissions['deals']).toEqual(['create', 'read', 'update', 'delete', 'import', 'export']);
      expect(standard.settings).toEqual([]);
      expect(users.rows[0]!.settings).toContain('audit');
    } finally {
      await db.close();
    }
  });
});
