import { createTemplate, dropTemplate, TEST_DATABASE_URL } from './test-database.js';

/** On PostgreSQL, migrate one template database that every test file copies. */
export async function setup(): Promise<void> {
  if (TEST_DATABASE_URL) await createTemplate(TEST_DATABASE_URL);
}

export async function teardown(): Promise<void> {
  if (TEST_DATABASE_URL) await dropTemplate(TEST_DATABASE_URL);
}
