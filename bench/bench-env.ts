import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Sql } from 'postgres';
import { assertLoopback, ensureDatabaseExists } from './bench-database.js';
import { loadAverage } from './live-stats.js';

/** Reads a positive number from the environment, or the fallback; anything else stops the run. */
export function positiveEnv(name: string, fallback: number, { integer = true, max = Number.MAX_SAFE_INTEGER } = {}): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be a positive ${integer ? 'whole ' : ''}number up to ${max}, got "${raw}"`);
  }
  return value;
}

export function listEnv(name: string, fallback: readonly number[], max: number): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return [...fallback];
  const values = raw.split(',').map((part) => Number(part.trim()));
  if (values.some((value) => !Number.isInteger(value) || value <= 0 || value > max)) throw new Error(`${name} must be whole numbers up to ${max}, e.g. "100,1000"`);
  return values;
}

/** The benchmark's own database (BENCH_DATABASE_URL, else `fallback`), on this machine only, created when missing. */
export async function benchDatabase(fallback: string): Promise<string> {
  const raw = process.env['BENCH_DATABASE_URL'];
  const url = raw && raw.trim() !== '' ? raw.trim() : fallback;
  assertLoopback(url);
  await ensureDatabaseExists(url, process.env['BENCH_RESET'] === '1');
  return url;
}

export const withoutPassword = (url: string): string => {
  const parsed = new URL(url);
  parsed.password = '';
  return parsed.toString();
};

function openFilesLimit(): string {
  try {
    return /Max open files\s+(\S+)\s+(\S+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.slice(1, 3).join(' / ') ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The code measured: HEAD and the files of src/ changed since (other work in progress is measured too). */
function sourceState(): { commit: string; uncommittedSrcFiles: string[] } {
  try {
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd, encoding: 'utf8' });
    return { commit, uncommittedSrcFiles: status.split('\n').filter(Boolean).map((line) => line.slice(3)) };
  } catch {
    return { commit: 'unknown', uncommittedSrcFiles: [] };
  }
}

/** Where and on what the figures were taken; the load average says how busy the machine was. */
export async function machineInfo(sql: Sql, url: string): Promise<Record<string, unknown>> {
  const [row] = await sql<{ version: string }[]>`select version()`;
  return {
    startedAt: new Date().toISOString(),
    node: process.version,
    postgres: (row?.version ?? '').split(' on ')[0] ?? '',
    cpus: cpus().length,
    database: withoutPassword(url),
    openFilesLimit: openFilesLimit(),
    loadAverageBefore: loadAverage(),
    source: sourceState(),
  };
}

export function writeResult(name: string, result: unknown): string {
  const file = fileURLToPath(new URL(`./results/${name}.json`, import.meta.url));
  mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/** One line naming the code measured, for the printed report. */
export function sourceLine(info: Record<string, unknown>): string {
  const source = info['source'] as ReturnType<typeof sourceState> | undefined;
  if (!source) return '';
  const dirty = source.uncommittedSrcFiles.length;
  return `code measured: HEAD ${source.commit}${dirty > 0 ? ` plus ${dirty} uncommitted file(s) in src/ (work in progress, listed in the JSON)` : ''}`;
}
