import { newRowId } from '../../db/row-id.js';
import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { CreateLeadInput, CreateWebFormInput } from '../../generated/graphql.js';
import { badInput, DomainError, notFound } from '../../shared/errors.js';
import { LEAD_SOURCES } from '../../shared/picklists.js';
import { picklistValue, requiredText, website } from '../../shared/validation.js';
import { assertManages, readScope, recordScope, assertWritable } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import { newTrackingToken, organizationOfToken } from '../emails/tracking-tokens.js';
import { insertLead } from '../leads/leads.service.js';
import { organizationById } from '../organizations/organizations.service.js';
import { ownerFor } from '../records/record-owner.js';
import { matchSignal, writeSignals } from '../signals/signals.service.js';
import { assertAssignableOwner, getUserRow, systemViewer } from '../users/users.service.js';
import { loadModuleConfig } from '../customization/module-config.js';
import { webForms, type WebFormField, type WebFormRow } from './forms.table.js';

/** Lead fields a form may fill. */
const FORM_FIELDS = ['firstName', 'lastName', 'email', 'phone', 'mobile', 'company', 'title', 'website', 'description', 'street', 'city', 'state', 'postalCode', 'country'] as const;
const ADDRESS_FIELDS = new Set(['street', 'city', 'state', 'postalCode', 'country']);
/** A form field may also fill a custom lead field: `customFields.<apiName>`. */
const CUSTOM_PREFIX = 'customFields.';

/** A hidden field real people leave empty; anything in it marks the post as spam. */
export const HONEYPOT_FIELD = 'pulse_hp';

export async function createWebForm(s: Session, input: CreateWebFormInput): Promise<WebFormRow> {
  assertManages(s.viewer, 'forms');
  const name = requiredText('name', input.name, 120);
  const customLeadFields = input.fields.some((field) => field.leadField.startsWith(CUSTOM_PREFIX))
    ? new Set((await loadModuleConfig(s.db, s.viewer.organizationId, 'leads')).fields.filter((field) => field.active).map((field) => `${CUSTOM_PREFIX}${field.apiName}`))
    : new Set<string>();
  const fields: WebFormField[] = input.fields.map((field, index) => {
    const leadField = FORM_FIELDS.find((candidate) => candidate === field.leadField) ?? (customLeadFields.has(field.leadField) ? field.leadField : undefined);
    if (!leadField) throw badInput(`fields.${index}.leadField`, `leadField must be one of ${FORM_FIELDS.join(', ')} or customFields.<apiName> of an active custom lead field`);
    return { name: requiredText(`fields.${index}.name`, field.name, 60), leadField, required: field.required ?? false };
  });
  if (new Set(fields.map((field) => field.name)).size !== fields.length) throw badInput('fields', 'Field names must be unique');
  if (!fields.some((field) => field.leadField === 'lastName')) throw badInput('fields', 'A form needs a field for lastName (leads require it)');
  if (fields.some((field) => field.name === HONEYPOT_FIELD)) throw badInput('fields', `${HONEYPOT_FIELD} is reserved for the spam trap`);
  const redirectUrl = input.redirectUrl ? website('redirectUrl', input.redirectUrl) : null;
  const leadSource = picklistValue('leadSource', input.leadSource ?? 'Web', LEAD_SOURCES);
  return inTransaction(s.db, async (tx) => {
    const owner = await ownerFor(tx, s.viewer, input.ownerId, 'create');
    const [row] = await tx
      .insert(webForms)
      .values({
        organizationId: s.viewer.organizationId,
        id: newRowId(),
        name,
        publicKey: newTrackingToken(s.viewer.organizationId),
        fields,
        redirectUrl,
        ownerId: owner.ownerId ?? s.viewer.userId,
        leadSource,
      })
      .returning();
    if (!row) throw new Error('insert returned no form');
    return row;
  });
}

export function listWebForms(s: Session): Promise<WebFormRow[]> {
  return s.db.select().from(webForms).where(readScope(s.viewer, 'forms', webForms)).orderBy(asc(webForms.createdAt), asc(webForms.id));
}

export async function deactivateWebForm(s: Session, id: string): Promise<WebFormRow> {
  assertManages(s.viewer, 'forms');
  const [row] = await s.db.update(webForms).set({ active: false }).where(recordScope(s.viewer, 'forms', webForms, id)).returning();
  if (!row) throw notFound('Web form');
  return row;
}

export interface FormSubmission {
  readonly form: WebFormRow;
  /** The lead created, or the existing lead/contact the submission was recorded on. */
  readonly recordId: string;
  readonly created: boolean;
}

/**
 * A public form post: validated exactly as createLead (the same service), creating the lead, or
 * recording FORM_SUBMITTED on the existing lead or contact with that email.
 */
export async function submitWebForm(db: Db, publicKey: string, body: Record<string, unknown>): Promise<FormSubmission> {
  const organizationId = organizationOfToken(publicKey);
  const [form] = organizationId
    ? await db.select().from(webForms).where(and(eq(webForms.organizationId, organizationId), eq(webForms.publicKey, publicKey), eq(webForms.active, true)))
    : [];
  const organization = form ? await organizationById(db, form.organizationId) : undefined;
  const owner = form ? await getUserRow(db, form.organizationId, form.ownerId) : undefined;
  if (!form || !organization || !owner) throw notFound('Form');
  const lead: Record<string, unknown> = { leadSource: form.leadSource };
  const address: Record<string, unknown> = {};
  const customFields: Record<string, unknown> = {};
  for (const field of form.fields) {
    const raw = body[field.name];
    const value = typeof raw === 'string' ? raw.trim() : raw === undefined || raw === null ? '' : String(raw);
    if (value === '') {
      if (field.required) throw badInput(field.name, `${field.name} is required`);
      continue;
    }
    if (ADDRESS_FIELDS.has(field.leadField)) address[field.leadField] = value;
    else if (field.leadField.startsWith(CUSTOM_PREFIX)) customFields[field.leadField.slice(CUSTOM_PREFIX.length)] = value;
    else lead[field.leadField] = value;
  }
  const viewer = systemViewer(owner, organization);
  assertWritable(viewer);
  return inTransaction(db, async (tx) => {
    await assertAssignableOwner(tx, viewer, owner.id);
    const email = typeof lead['email'] === 'string' ? (lead['email'] as string) : null;
    const known = email ? await matchSignal(tx, viewer, organization, { kind: 'FORM_SUBMITTED', email }) : null;
    let recordId = known?.contactId ?? known?.leadId ?? null;
    const created = recordId === null;
    if (created) {
      try {
        // No explicit owner: assignment rules apply to web leads; without them the form's owner (the viewer) owns it.
        const row = await insertLead(tx, viewer, { ...(lead as unknown as CreateLeadInput), address, customFields });
        recordId = row.id;
      } catch (error) {
        if (error instanceof DomainError && error.code === 'BAD_USER_INPUT') {
          const field = form.fields.find((candidate) => candidate.leadField === error.details['field']);
          throw badInput(field?.name ?? String(error.details['field']), error.message);
        }
        throw error;
      }
    }
    await writeSignals(tx, form.organizationId, null, [
      {
        kind: 'FORM_SUBMITTED',
        occurredAt: new Date(),
        leadId: known?.contactId ? null : (known?.leadId ?? recordId),
        contactId: known?.contactId ?? null,
        source: 'web form',
        detail: { formId: form.id, formName: form.name, createdLead: created },
      },
    ]);
    return { form, recordId: recordId as string, created };
  });
}
