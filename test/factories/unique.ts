import { randomBytes } from 'node:crypto';

let counter = 0;

/** A value no other test (in any file or run) produces. */
export const unique = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}-${++counter}`;

export const uniqueEmail = (prefix = 'user'): string => `${unique(prefix)}@example.com`.toLowerCase();
