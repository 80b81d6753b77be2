import { customType } from 'drizzle-orm/pg-core';

/** bytea as a Buffer on both drivers (postgres.js returns a Buffer, PGlite a Uint8Array). */
export const bytes = customType<{ data: Buffer; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  toDriver: (value) => value,
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
});
