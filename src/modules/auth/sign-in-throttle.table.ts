import { integer, pgTable, text } from 'drizzle-orm/pg-core';
import { timestampMs } from '../../db/columns.js';

/**
 * Failed sign-ins per account (a hash of the email, known or not) and per IP address, in fixed
 * windows. Sign-in runs before an organisation is known, so this table is global by design,
 * like `login_identities`.
 */
export const signInThrottles = pgTable('sign_in_throttles', {
  /** `account:<sha256 of the email>` or `address:<ip>`. */
  key: text('key').primaryKey(),
  failures: integer('failures').notNull(),
  windowStartedAt: timestampMs('window_started_at').notNull(),
});
