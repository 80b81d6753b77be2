import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import { DomainError, type ModuleLabels } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { withoutSuggestion } from './limits/document-rules.js';

/** Codes graphql-js and Apollo attach to errors about the request itself; safe to show as they are. */
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  // The organisation runs registered operations only and the request sent none.
  'TRUSTED_DOCUMENT_REQUIRED',
]);

/** By name, not instanceof: test runners and bundlers can load graphql-js twice (ESM and CommonJS). */
const isGraphQLError = (value: unknown): value is GraphQLError => value instanceof Error && value.name === 'GraphQLError';

function originalOf(error: GraphQLError): unknown {
  let current: unknown = error.originalError;
  // Resolver errors may be wrapped more than once (e.g. by DataLoader or graphql-ws).
  while (current && typeof current === 'object' && 'originalError' in current && (current as GraphQLError).originalError) {
    current = (current as GraphQLError).originalError;
  }
  return current;
}

/**
 * Before formatting: messages that name modules are written with the organisation's labels
 * ("Property not found"), read at most once per request and only when an error names a module.
 * Apollo calls it from `didEncounterErrors`, the WebSocket before it formats a result.
 */
export async function labelErrors(errors: readonly GraphQLError[], labels: (() => Promise<ModuleLabels>) | null): Promise<void> {
  const naming = errors.map(originalOf).filter((original): original is DomainError => original instanceof DomainError && original.mentions.length > 0);
  if (naming.length === 0 || !labels) return;
  const current = await labels();
  for (const error of naming) error.labelWith(current);
}

/**
 * The one place an error becomes what a client sees: domain errors keep their code and details,
 * request errors their message, and anything else is logged with its stack and shown only as
 * INTERNAL_SERVER_ERROR (no SQL, no stack, no driver message).
 */
export function formatError(logger: Logger, error: GraphQLError, options: { readonly hideSuggestions?: boolean } = {}): GraphQLFormattedError {
  const formatted = formatErrorWithSuggestions(logger, error);
  // "Did you mean ...?" names types, fields and enum values the client did not ask about.
  return options.hideSuggestions ? { ...formatted, message: withoutSuggestion(formatted.message) } : formatted;
}

function formatErrorWithSuggestions(logger: Logger, error: GraphQLError): GraphQLFormattedError {
  const original = originalOf(error);
  const base = { ...(error.locations ? { locations: error.locations } : {}), ...(error.path ? { path: error.path } : {}) };
  if (original instanceof DomainError) {
    return { message: original.message, ...base, extensions: { ...original.details, code: original.code } };
  }
  const code = error.extensions?.['code'];
  // A scalar refusing a value (in a variable or a literal) is bad input whatever phase caught it.
  if (isGraphQLError(original) && original.extensions['code'] === 'BAD_USER_INPUT') {
    return { message: original.message, ...base, extensions: { code: 'BAD_USER_INPUT' } };
  }
  // Apollo wraps parse, validation and variable errors around graphql-js' own GraphQLError.
  if ((original === undefined || isGraphQLError(original)) && typeof code === 'string' && REQUEST_ERROR_CODES.has(code)) {
    return { message: error.message, ...base, extensions: { code } };
  }
  logger.error('unexpected error', { error: original ?? error, path: error.path?.join('.') });
  return { message: 'Internal server error', ...base, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}
