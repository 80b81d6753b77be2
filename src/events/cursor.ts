import { badInput } from '../shared/errors.js';

/**
 * Event cursors are opaque to clients: "v1:<seq>" in base64url, where seq is the event's
 * number within its organisation (gap-free, in commit order).
 */
export function encodeEventCursor(seq: number): string {
  return Buffer.from(`v1:${seq}`).toString('base64url');
}

export function decodeEventCursor(cursor: string, field = 'after'): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^v1:(\d{1,15})$/.exec(text);
  if (!match?.[1]) throw badInput(field, `${field} is not an event cursor Pulse issued`);
  return Number(match[1]);
}
