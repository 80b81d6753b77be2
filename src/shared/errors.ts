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
 * A module named in a message meant for people ("Deal not found"). Services do not know the
 * organisation's labels; the formatter writes the message again with them ("Property not found"),
 * reading them once per response.
 */
export interface ModuleMention {
  readonly module: string;
  readonly plural: boolean;
  /** Pulse's own word, used when no labels are at hand (no organisation, a background job). */
  readonly fallback: string;
}

/** What an organisation calls its modules, by module ('deals'). */
export type ModuleLabels = ReadonlyMap<string, { readonly singular: string; readonly plural: string }>;

type MessagePart = string | ModuleMention;

export const mention = (module: string, fallback: string, plural = false): ModuleMention => ({ module, plural, fallback });

/** A message naming modules: labelled`${mention('deals', 'Deal')} not found`. */
export function labelled(strings: TemplateStringsArray, ...values: readonly (string | number | ModuleMention)[]): readonly MessagePart[] {
  return strings.flatMap((text, index) => {
    const value = values[index];
    return value === undefined ? [text] : [text, typeof value === 'number' ? String(value) : value];
  });
}

const render = (parts: readonly MessagePart[], labels: ModuleLabels | undefined): string =>
  parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const label = labels?.get(part.module);
      return label ? (part.plural ? label.plural : label.singular) : part.fallback;
    })
    .join('');

/**
 * A failure the client caused or must know about. Services throw these; the one formatter in
 * `src/server/format-error.ts` turns them into `extensions`.
 */
export class DomainError extends Error {
  /** The message's parts when it names modules; null otherwise. */
  readonly parts: readonly MessagePart[] | null;

  constructor(
    readonly code: ErrorCode,
    message: string | readonly MessagePart[],
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(typeof message === 'string' ? message : render(message, undefined));
    this.name = 'DomainError';
    this.parts = typeof message === 'string' ? null : message;
  }

  /** The modules the message names. */
  get mentions(): string[] {
    return (this.parts ?? []).flatMap((part) => (typeof part === 'string' ? [] : [part.module]));
  }

  /** Writes the message with the organisation's labels. */
  labelWith(labels: ModuleLabels): void {
    if (this.parts) this.message = render(this.parts, labels);
  }
}

export const badInput = (field: string, message: string | readonly MessagePart[], details: Record<string, unknown> = {}): DomainError =>
  new DomainError('BAD_USER_INPUT', message, { field, ...details });

/** NOT_FOUND; a record module's name is given as a mention, so people read their own label. */
export const notFound = (what: string | ModuleMention): DomainError => new DomainError('NOT_FOUND', labelled`${what} not found`);

export const unauthenticated = (message = 'Sign in first: a valid token is required'): DomainError =>
  new DomainError('UNAUTHENTICATED', message);

export const forbidden = (message: string | readonly MessagePart[] = 'You are not allowed to do this'): DomainError =>
  new DomainError('FORBIDDEN', message);

export const conflict = (message: string | readonly MessagePart[], details: Record<string, unknown> = {}): DomainError =>
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
