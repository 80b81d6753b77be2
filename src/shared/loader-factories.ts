import DataLoader from 'dataloader';

/** A loader from id to row (or null), batching every id asked for in one tick into one query. */
export function byIdLoader<Row extends { id: string }>(load: (ids: readonly string[]) => Promise<Row[]>): DataLoader<string, Row | null> {
  return new DataLoader<string, Row | null>(async (ids) => {
    const rows = await load(ids);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** A loader from a parent id to its children, batched the same way. */
export function childrenLoader<Row>(load: (parentIds: readonly string[]) => Promise<Map<string, Row[]>>): DataLoader<string, Row[]> {
  return new DataLoader<string, Row[]>(async (parentIds) => {
    const byParent = await load(parentIds);
    return parentIds.map((id) => byParent.get(id) ?? []);
  });
}

/**
 * One loader per distinct set of field arguments (e.g. `first: 5` and `first: 20` cannot share
 * a batch), created on first use within the request.
 */
export function loaderFamily<Args, Loader>(make: (args: Args) => Loader): (args: Args) => Loader {
  const loaders = new Map<string, Loader>();
  return (args) => {
    const key = JSON.stringify(args);
    let loader = loaders.get(key);
    if (!loader) {
      loader = make(args);
      loaders.set(key, loader);
    }
    return loader;
  };
}
