import type { Db } from '../../db/database.js';
import type { Viewer } from '../auth/viewer.js';

/**
 * Active automation rules (scoring, assignment, workflows) per organisation, kept between
 * requests and checked against the organisation's automation version, which the viewer carries
 * (read with the user, so a cache hit costs no statement). A rule change bumps the version in its
 * transaction (`automationChanged`), so every process reloads on its next write after the commit.
 * Process-wide on purpose (not per request like DataLoaders): rules are read by every record
 * write and change rarely. A viewer without a version (system work) always reads the database.
 */

interface Entry {
  readonly version: number;
  readonly values: Map<string, Promise<unknown>>;
}

const MAX_ORGANISATIONS = 5_000;
const byOrganization = new Map<string, Entry>();

export function cachedRules<T>(tx: Db, viewer: Viewer, key: string, load: (tx: Db) => Promise<T>): Promise<T> {
  const version = viewer.automationVersion;
  if (version === undefined) return load(tx);
  let entry = byOrganization.get(viewer.organizationId);
  // An entry newer than this viewer's snapshot is at least as current: keep it.
  if (!entry || entry.version < version) {
    if (byOrganization.size >= MAX_ORGANISATIONS) byOrganization.clear();
    entry = { version, values: new Map() };
    byOrganization.set(viewer.organizationId, entry);
  }
  const known = entry.values.get(key) as Promise<T> | undefined;
  if (known) return known;
  // Resolved once into a real promise: a Drizzle query is a thenable that would run again on every await.
  const loading = Promise.resolve(load(tx));
  const values = entry.values;
  values.set(key, loading);
  // A failed read (the writer's transaction aborted) is not remembered.
  loading.catch(() => {
    if (values.get(key) === loading) values.delete(key);
  });
  return loading;
}
