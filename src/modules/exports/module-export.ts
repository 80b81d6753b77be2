import { coerceInputValue, isInputType, type GraphQLSchema } from 'graphql';
import { badInput, forbidden, labelled, mention } from '../../shared/errors.js';
import { canAct, isHiddenField, type CrmModule } from '../auth/access.js';
import { recordAudit } from '../access-control/audit.service.js';
import { loadModuleConfig } from '../customization/module-config.js';
import type { CustomizableModule } from '../customization/standard-fields.js';
import type { Connection } from '../../shared/pagination.js';
import type { Session } from '../auth/session.js';
import { listAccounts } from '../accounts/accounts.service.js';
import { listActivities } from '../activities/activities.service.js';
import { listContacts } from '../contacts/contacts.service.js';
import { listDeals } from '../deals/deals.service.js';
import { listLeads } from '../leads/leads.service.js';
import { MATCH_KEY_FIELDS } from '../../db/columns.js';

type Lister = (s: Session, args: { filter?: unknown; first: number; after: string | null }) => Promise<Connection<object>>;

/**
 * Per-module CSV exports read through each module's own list function: the same filter, the
 * same access scope and the same keyset pages as the GraphQL list, 200 rows at a time.
 */
const MODULES: Record<string, { readonly list: Lister; readonly filterType: string }> = {
  leads: { list: listLeads as unknown as Lister, filterType: 'LeadFilter' },
  contacts: { list: listContacts as unknown as Lister, filterType: 'ContactFilter' },
  accounts: { list: listAccounts as unknown as Lister, filterType: 'AccountFilter' },
  deals: { list: listDeals as unknown as Lister, filterType: 'DealFilter' },
  activities: { list: listActivities as unknown as Lister, filterType: 'ActivityFilter' },
};

/** Internal columns a spreadsheet has no use for. */
const HIDDEN = new Set(['organizationId', 'boardRank', ...MATCH_KEY_FIELDS]);

/** `?filter=` is the GraphQL filter as JSON, coerced by the schema exactly as a query's variable. */
export function parseFilter(schema: GraphQLSchema, module: string, raw: string | undefined): unknown {
  const entry = MODULES[module];
  if (!entry) throw badInput('module', `module must be one of: ${Object.keys(MODULES).join(', ')}`);
  if (!raw) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw badInput('filter', `filter must be JSON of a ${entry.filterType}`);
  }
  const type = schema.getType(entry.filterType);
  if (!type || !isInputType(type)) throw new Error(`${entry.filterType} missing from the schema`);
  return coerceInputValue(value, type, (path, _invalid, error) => {
    throw badInput(`filter${path.length > 0 ? `.${path.join('.')}` : ''}`, error.message);
  });
}

const cell = (value: unknown): unknown => (Array.isArray(value) ? value.join('; ') : value);

/**
 * The module's rows, page by page, as plain objects with their column names: the standard fields
 * the viewer's profile does not hide, then one `customFields.<apiName>` column per active custom
 * field (the same columns on every row, whatever each record holds). Needs the profile's export
 * permission (not a write: a paused organisation still exports), and is written to the audit log.
 */
export async function* moduleRows(s: Session, module: string, filter: unknown): AsyncGenerator<Record<string, unknown>> {
  const entry = MODULES[module];
  if (!entry) throw badInput('module', `module must be one of: ${Object.keys(MODULES).join(', ')}`);
  if (!canAct(s.viewer, 'export', module as CrmModule)) throw forbidden(labelled`You may not export ${mention(module, module, true)}`);
  const config = await loadModuleConfig(s.db, s.viewer.organizationId, module as CustomizableModule);
  const custom = config.fields.filter((field) => field.active).map((field) => field.apiName);
  await recordAudit(s.db, s.viewer, {
    action: 'EXPORTED',
    summary: `Exported ${module} as CSV`,
    targetType: 'MODULE',
    detail: { module, filter: filter ?? null },
  });
  let after: string | null = null;
  for (;;) {
    const page: Connection<object> = await entry.list(s, { filter, first: 200, after });
    for (const node of page.nodes) {
      const row: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(node)) {
        if (HIDDEN.has(key) || key === 'customFields' || isHiddenField(s.viewer, module, key)) continue;
        row[key] = cell(value);
      }
      const values = ((node as { customFields?: Record<string, unknown> }).customFields ?? {}) as Record<string, unknown>;
      for (const apiName of custom) row[`customFields.${apiName}`] = cell(values[apiName] ?? null);
      yield row;
    }
    if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return;
    after = page.pageInfo.endCursor;
  }
}
