/** Every error code a client can see in `extensions.code`. */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'CURSOR_EXPIRED'
  | 'RATE_LIMITED'
  | 'PLAN_LIMIT';

/**
 * A failure the client caused or must know about. Services throw these; the one formatter in
 * `src/server/format-error.ts` turns them into `extensions`.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const badInput = (field: string, message: string, details: Record<string, unknown> = {}): DomainError =>
  new DomainError('BAD_USER_INPUT', message, { field, ...details });

export const notFound = (what: string): DomainError => new DomainError('NOT_FOUND', `${what} not found`);

export const unauthenticated = (message = 'Sign in first: a valid token is required'): DomainError =>
  new DomainError('UNAUTHENTICATED', message);

export const forbidden = (message = 'You are not allowed to do this'): DomainError =>
  new DomainError('FORBIDDEN', message);

export const conflict = (message: string, details: Record<string, unknown> = {}): DomainError =>
  new DomainError('CONFLICT', message, details);

/** HTTP status that matches a code, for the plain HTTP routes. */
export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case 'BAD_USER_INPUT':
      return 400;
    case 'UNAUTHENTICATED':
      return 401;
    case 'FORBIDDEN':
      return 403;
    case 'NOT_FOUND':
      return 404;
    case 'CONFLICT':
      return 409;
    case 'CURSOR_EXPIRED':
      return 410;
    case 'RATE_LIMITED':
      return 429;
    case 'PLAN_LIMIT':
      return 402;
    default: {
      const unreachable: never = code;
      return unreachable;
    }
  }
}
