import postgres from 'postgres';

/** The benchmark needs a real PostgreSQL server; PGlite would measure something else. */
export const DEFAULT_BENCH_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/pulse_bench';

export function benchDatabaseUrl(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const raw = env['BENCH_DATABASE_URL'];
  return raw && raw.trim() !== '' ? raw.trim() : DEFAULT_BENCH_DATABASE_URL;
}

/** Only loopback servers: the load loops must never reach another machine. */
export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
    throw new Error(`BENCH_DATABASE_URL must point at this machine (127.0.0.1 or localhost), not ${host}`);
  }
}

/**
 * Creates the database named in `url` through the `postgres` maintenance database when it is
 * missing; `reset` drops it first (BENCH_RESET=1, e.g. after migrations were rewritten).
 */
export async function ensureDatabaseExists(url: string, reset = false): Promise<void> {
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.slice(1));
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`unexpected benchmark database name "${name}"`);
  parsed.pathname = '/postgres';
  const admin = postgres(parsed.toString(), { max: 1, onnotice: () => undefined });
  try {
    if (reset) await admin.unsafe(`drop database if exists "${name}" with (force)`);
    const [existing] = await admin`select 1 as present from pg_database where datname = ${name}`;
    if (!existing) await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}
