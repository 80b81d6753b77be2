import { createHash } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import { GraphQLError, parse, validate, type GraphQLSchema } from 'graphql';
import type { Db } from '../../db/database.js';
import { badInput } from '../../shared/errors.js';
import { requiredText } from '../../shared/validation.js';
import { assertManages, canManage } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { organizations, type OrganizationRow } from '../organizations/organizations.table.js';
import { trustedDocuments, type TrustedDocumentRow } from './trusted-documents.table.js';

const MAX_DOCUMENTS_PER_CALL = 500;
const MAX_DOCUMENT_LENGTH = 100_000;

export const documentHash = (document: string): string => createHash('sha256').update(document).digest('hex');

/** Registers operations (one or a whole client's set); re-registering the same text is harmless. */
export async function registerTrustedDocuments(s: Session, schema: GraphQLSchema, documents: readonly { name: string; document: string }[]): Promise<TrustedDocumentRow[]> {
  assertManages(s.viewer, 'organization');
  if (documents.length === 0 || documents.length > MAX_DOCUMENTS_PER_CALL) {
    throw badInput('documents', `Send 1 to ${MAX_DOCUMENTS_PER_CALL} documents`);
  }
  const rows = documents.map((entry, index) => {
    const field = `documents.${index}.document`;
    const name = requiredText(`documents.${index}.name`, entry.name, 200);
    if (entry.document.length > MAX_DOCUMENT_LENGTH) throw badInput(field, `A document may be at most ${MAX_DOCUMENT_LENGTH} characters`);
    let errors: readonly GraphQLError[];
    try {
      errors = validate(schema, parse(entry.document));
    } catch (error) {
      errors = [error as GraphQLError];
    }
    if (errors.length > 0) throw badInput(field, `"${name}" is not a valid operation: ${errors[0]?.message ?? ''}`);
    return { organizationId: s.viewer.organizationId, hash: documentHash(entry.document), name, document: entry.document, createdBy: s.viewer.userId };
  });
  await s.db.insert(trustedDocuments).values(rows).onConflictDoNothing();
  const hashes = new Set(rows.map((row) => row.hash));
  return (await listTrustedDocuments(s)).filter((row) => hashes.has(row.hash));
}

export async function listTrustedDocuments(s: Session): Promise<TrustedDocumentRow[]> {
  assertManages(s.viewer, 'organization');
  return s.db.select().from(trustedDocuments).where(eq(trustedDocuments.organizationId, s.viewer.organizationId)).orderBy(asc(trustedDocuments.name), asc(trustedDocuments.hash));
}

export async function removeTrustedDocument(s: Session, hash: string): Promise<boolean> {
  assertManages(s.viewer, 'organization');
  const removed = await s.db
    .delete(trustedDocuments)
    .where(and(eq(trustedDocuments.organizationId, s.viewer.organizationId), eq(trustedDocuments.hash, hash.toLowerCase())))
    .returning({ hash: trustedDocuments.hash });
  return removed.length > 0;
}

export async function setTrustedDocumentsRequired(s: Session, required: boolean): Promise<OrganizationRow> {
  assertManages(s.viewer, 'organization');
  const [row] = await s.db.update(organizations).set({ requireTrustedDocuments: required }).where(eq(organizations.id, s.viewer.organizationId)).returning();
  if (!row) throw new Error('the signed-in organisation is missing');
  return row;
}

/** What a request asked to run: the text it sent and/or the hash of a registered document. */
export interface SentDocument {
  readonly query: string | undefined;
  readonly hash: string | undefined;
}

const requestError = (code: string, message: string): GraphQLError => new GraphQLError(message, { extensions: { code } });

/**
 * Exempt: profiles with the ORGANIZATION setting, the one that manages the documents and the
 * requirement (they could switch it off anyway). The ADMIN title grants nothing by itself.
 */
const mustBeTrusted = (viewer: Viewer | null): boolean => viewer?.trustedDocumentsOnly === true && !canManage(viewer, 'organization');

/**
 * The document text to run, or the error refusing the request. A hash always names one of the
 * organisation's registered documents; text alone is refused when the organisation requires
 * trusted documents, except for profiles that manage the organisation (who may switch the
 * requirement off anyway) and callers not signed in (sign-in itself).
 */
export async function chooseDocument(db: Db, viewer: Viewer | null, sent: SentDocument): Promise<{ readonly query: string } | { readonly error: GraphQLError }> {
  if (sent.hash !== undefined) {
    const hash = sent.hash.toLowerCase();
    if (sent.query !== undefined && sent.query !== '' && documentHash(sent.query) !== hash) {
      return { error: requestError('BAD_REQUEST', 'The query does not match its sha256Hash') };
    }
    const [row] = viewer
      ? await db
          .select({ document: trustedDocuments.document })
          .from(trustedDocuments)
          .where(and(eq(trustedDocuments.organizationId, viewer.organizationId), eq(trustedDocuments.hash, hash)))
      : [];
    if (row) return { query: row.document };
    // Apollo's automatic persisted queries resend the text with its hash: run it where text may run.
    if (sent.query !== undefined && sent.query !== '' && !mustBeTrusted(viewer)) return { query: sent.query };
    return { error: requestError('PERSISTED_QUERY_NOT_FOUND', 'No registered document has this id') };
  }
  if (mustBeTrusted(viewer)) {
    return { error: requestError('TRUSTED_DOCUMENT_REQUIRED', 'This organisation runs registered operations only: send the document id (extensions.persistedQuery.sha256Hash or documentId)') };
  }
  return { query: sent.query ?? '' };
}

/** The hash a request names: Apollo's `extensions.persistedQuery.sha256Hash`, or `documentId` (`sha256:<hex>` or hex). */
export function sentHash(extensions: Readonly<Record<string, unknown>> | null | undefined, documentId?: unknown): string | undefined {
  const persisted = extensions?.['persistedQuery'] as { sha256Hash?: unknown } | undefined;
  if (typeof persisted?.sha256Hash === 'string') return persisted.sha256Hash;
  const id = documentId ?? extensions?.['documentId'];
  if (typeof id === 'string') return id.replace(/^sha256:/, '');
  return undefined;
}
