import { coerceInputValue, isInputType, type GraphQLSchema } from 'graphql';
import { badInput } from '../../shared/errors.js';
import type { Connection } from '../../shared/pagination.js';
import type { Session } from '../auth/session.js';
import { listAccounts } from '../accounts/accounts.service.js';
import { listActivities } from '../activities/activities.service.js';
import { listContacts } from '../contacts/contacts.service.js';
import { listDeals } from '../deals/deals.service.js';
import { listLeads } from '../leads/leads.service.js';

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
const HIDDEN = new Set(['organizationId', 'boardRank']);

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

/** The module's rows, page by page, as plain objects with their column names. */
export async function* moduleRows(s: Session, module: string, filter: unknown): AsyncGenerator<Record<string, unknown>> {
  const entry = MODULES[module];
  if (!entry) throw badInput('module', `module must be one of: ${Object.keys(MODULES).join(', ')}`);
  let after: string | null = null;
  for (;;) {
    const page: Connection<object> = await entry.list(s, { filter, first: 200, after });
    for (const node of page.nodes) {
      const row: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(node)) if (!HIDDEN.has(key)) row[key] = value;
      yield row;
    }
    if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return;
    after = page.pageInfo.endCursor;
  }
}
