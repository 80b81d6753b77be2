import type { Db } from '../../db/database.js';
import { loadModuleConfig } from '../customization/module-config.js';
import type { ConvertLeadInput } from '../../generated/graphql.js';
import { conflict, labelled, mention } from '../../shared/errors.js';
import { CONVERTED_LEAD_STATUS } from '../../shared/picklists.js';
import { ACCOUNT } from '../accounts/accounts.kind.js';
import { findAccountByName, insertAccount } from '../accounts/accounts.service.js';
import type { AccountRow } from '../accounts/accounts.table.js';
import { moveActivitiesFromLead } from '../activities/activities.service.js';
import { assertCan } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import { insertContact } from '../contacts/contacts.service.js';
import type { ContactRow } from '../contacts/contacts.table.js';
import { insertDeal } from '../deals/deals.service.js';
import type { DealRow } from '../deals/deals.table.js';
import { moveNotesFromLead } from '../notes/notes.service.js';
import { assertReference, lockRecord, saveChanges } from '../records/record-store.js';
import { appendTimeline } from '../timeline/timeline.service.js';
import { lockKey } from '../records/duplicate-lock.js';
import { LEAD } from './leads.kind.js';
import type { LeadRow } from './leads.table.js';
import { inTransaction } from '../../db/transaction.js';

export interface ConversionResult {
  readonly lead: LeadRow;
  readonly contact: ContactRow;
  readonly account: AccountRow | null;
  readonly deal: DealRow | null;
}

/**
 * Lead -> contact + account (+ deal), all in one transaction: any failure, including a lost
 * connection, leaves the lead as it was and nothing else behind.
 */
export async function convertLead(s: Session, input: ConvertLeadInput): Promise<ConversionResult> {
  assertCan(s.viewer, 'update', 'leads');
  assertCan(s.viewer, 'create', 'contacts');
  return inTransaction(s.db, async (tx) => {
    const lead = await lockRecord(tx, s.viewer, LEAD, input.id);
    assertCan(s.viewer, 'update', 'leads', lead);
    if (lead.deletedAt) throw conflict(labelled`This ${mention('leads', 'lead')} is in the recycle bin; restore it before converting it`);
    if (lead.convertedAt) throw conflict(labelled`This ${mention('leads', 'lead')} has already been converted`, { reason: 'LEAD_CONVERTED', contactId: lead.convertedContactId });
    const fromLead = { leadId: lead.id };
    const carried = await carriedCustomFields(tx, s.viewer.organizationId, lead.customFields);

    let account: AccountRow | null = null;
    if (input.accountId) {
      account = await assertReference(tx, s.viewer, ACCOUNT, input.accountId, 'accountId');
    } else if (lead.company) {
      // Two conversions for the same company at once must share one account.
      await lockKey(tx, `account:${s.viewer.organizationId}:${lead.company.trim()}`);
      account =
        (await findAccountByName(tx, s.viewer, lead.company)) ??
        (await insertAccount(
          tx,
          s.viewer,
          {
            name: lead.company,
            website: lead.website,
            phone: lead.phone,
            industry: lead.industry,
            annualRevenue: lead.annualRevenue,
            employees: lead.employees,
            address: { street: lead.street, city: lead.city, state: lead.state, postalCode: lead.postalCode, country: lead.country },
            ownerId: lead.ownerId,
            customFields: carried.accounts,
          },
          'Account created from a converted lead',
          fromLead,
          lead,
        ));
    }

    const contact = await insertContact(
      tx,
      s.viewer,
      {
        firstName: lead.firstName,
        lastName: lead.lastName,
        email: lead.email,
        phone: lead.phone,
        mobile: lead.mobile,
        title: lead.title,
        accountId: account?.id ?? null,
        leadSource: lead.leadSource,
        address: { street: lead.street, city: lead.city, state: lead.state, postalCode: lead.postalCode, country: lead.country },
        description: lead.description,
        tags: lead.tags,
        ownerId: lead.ownerId,
        customFields: carried.contacts,
      },
      { checkDuplicate: false, summary: 'Contact created from a converted lead', timelineData: fromLead, inheritedFrom: lead },
    );

    const deal = input.createDeal
      ? await insertDeal(
          tx,
          s.viewer,
          {
            ...input.createDeal,
            accountId: account?.id ?? null,
            contactId: contact.id,
            leadSource: lead.leadSource,
            ownerId: lead.ownerId,
            customFields: carried.deals,
          },
          fromLead,
          lead,
        )
      : null;

    await moveActivitiesFromLead(tx, s.viewer, lead.id, contact.id);
    await moveNotesFromLead(tx, s.viewer, lead.id, contact.id);

    // Through the record store, so the status change runs the write hooks like any edit: scoring
    // rescores the lead and workflows see an edit (ON_EDIT, FIELD_UPDATED status). Its timeline
    // entry is the CONVERTED one below rather than a generic UPDATED.
    const { row: converted } = await saveChanges(tx, s.viewer, { ...LEAD, timelineType: null }, lead, {
      status: CONVERTED_LEAD_STATUS,
      convertedAt: new Date(),
      convertedContactId: contact.id,
      convertedAccountId: account?.id ?? null,
      convertedDealId: deal?.id ?? null,
    });
    await appendTimeline(tx, s.viewer.organizationId, s.viewer.userId, [
      {
        recordType: 'LEAD',
        recordId: lead.id,
        kind: 'CONVERTED',
        summary: `Converted to contact ${[contact.firstName, contact.lastName].filter(Boolean).join(' ')}${account ? ` at ${account.name}` : ''}${deal ? ` with deal ${deal.name}` : ''}`,
        data: { contactId: contact.id, accountId: account?.id ?? null, dealId: deal?.id ?? null },
      },
    ]);
    return { lead: converted, contact, account, deal };
  });
}

/**
 * The lead's custom values that the new contact, account and deal carry: those whose field has
 * the same API name and type, active, on the target module (Zoho's default conversion mapping).
 * Lookups are left behind: they point at records of the lead's world.
 */
async function carriedCustomFields(tx: Db, organizationId: string, values: Record<string, unknown>): Promise<Record<'contacts' | 'accounts' | 'deals', Record<string, unknown>>> {
  const result = { contacts: {}, accounts: {}, deals: {} } as Record<'contacts' | 'accounts' | 'deals', Record<string, unknown>>;
  if (Object.keys(values).length === 0) return result;
  const leadFields = new Map((await loadModuleConfig(tx, organizationId, 'leads')).fields.map((field) => [field.apiName, field]));
  for (const module of ['contacts', 'accounts', 'deals'] as const) {
    for (const field of (await loadModuleConfig(tx, organizationId, module)).fields) {
      const source = leadFields.get(field.apiName);
      const value = values[field.apiName];
      if (!field.active || !source || source.type !== field.type || field.type === 'LOOKUP' || value === undefined || value === null) continue;
      result[module][field.apiName] = value;
    }
  }
  return result;
}
