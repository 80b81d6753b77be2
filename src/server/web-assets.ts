import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { copyFile, rename, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, version as esbuildVersion } from 'esbuild';
import type { Logger } from '../shared/logger.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Git-ignored: bundles are built from `web/` on this machine, never committed. */
export const WEB_DIST = join(ROOT, 'web', 'dist');

/** The two browser pages Pulse serves, each bundled from its own folder of `web/`. */
export type WebPage = 'explorer' | 'board';

const PAGES: Readonly<Record<WebPage, { entry: string; inputs: readonly string[] }>> = {
  explorer: { entry: 'web/explorer/explorer.tsx', inputs: ['web/explorer'] },
  // The board imports its GraphQL operations from docs/operations, so they decide its hash too.
  board: { entry: 'web/board/main.ts', inputs: ['web/board', 'docs/operations'] },
};

function filesUnder(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(join(folder, entry.name)) : entry.isFile() ? [join(folder, entry.name)] : []))
    .sort();
}

/**
 * A digest of everything that goes into a page's bundle: its sources, the locked dependency
 * versions, esbuild's version and this builder. Equal digest, equal bundle, so it is built once.
 */
function digestOf(page: WebPage): string {
  const hash = createHash('sha256').update(esbuildVersion);
  const lockfile = existsSync(join(ROOT, 'package-lock.json')) ? 'package-lock.json' : 'package.json';
  const files = [...PAGES[page].inputs.flatMap((input) => filesUnder(join(ROOT, input))), join(ROOT, lockfile), fileURLToPath(import.meta.url)];
  for (const file of files) hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** Removes other builds of the page and temporary folders left by interrupted builds. */
async function prune(page: WebPage, keep: string): Promise<void> {
  const stale = Date.now() - 10 * 60_000;
  for (const entry of readdirSync(WEB_DIST)) {
    const path = join(WEB_DIST, entry);
    const oldBuild = entry.startsWith(`${page}-`) && path !== keep;
    const oldTemp = entry.startsWith(`.tmp-${page}-`) && statSync(path).mtimeMs < stale;
    if (oldBuild || oldTemp) await rm(path, { recursive: true, force: true });
  }
}

/**
 * Bundles a page into `web/dist/<page>-<digest>/` (index.html, <page>.js, <page>.css) unless that
 * folder exists. Builds go to a temporary folder renamed into place, so processes building at
 * the same time (test workers, two servers) never see half a bundle.
 */
export async function buildWebPage(page: WebPage): Promise<string> {
  const folder = join(WEB_DIST, `${page}-${digestOf(page)}`);
  if (existsSync(join(folder, 'index.html'))) return folder;
  const temp = join(WEB_DIST, `.tmp-${page}-${randomBytes(6).toString('hex')}`);
  try {
    await build({
      absWorkingDir: ROOT,
      entryPoints: { [page]: PAGES[page].entry },
      outdir: temp,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['chrome109', 'firefox115', 'safari16'],
      minify: true,
      sourcemap: 'linked',
      jsx: 'automatic',
      loader: { '.graphql': 'text' },
      define: { 'process.env.NODE_ENV': '"production"' },
      logLevel: 'silent',
    });
    await copyFile(join(ROOT, 'web', page, 'index.html'), join(temp, 'index.html'));
    try {
      await rename(temp, folder);
    } catch (error) {
      // Another process finished the same build first: theirs is identical.
      if (!existsSync(join(folder, 'index.html'))) throw error;
    }
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
  await prune(page, folder);
  return folder;
}

/** Each server's view of the bundles: built on first use, once per process lifetime of the server. */
export class WebAssets {
  private readonly builds = new Map<WebPage, Promise<string>>();

  constructor(private readonly logger: Logger) {}

  /** The folder of the page's bundle, building it first if its sources changed since the last build. */
  folder(page: WebPage): Promise<string> {
    let pending = this.builds.get(page);
    if (!pending) {
      const started = Date.now();
      pending = buildWebPage(page).then(
        (folder) => {
          this.logger.debug('web page ready', { page, folder, ms: Date.now() - started });
          return folder;
        },
        (error: unknown) => {
          // Forget the failure so the next request tries again (e.g. after a fix to the sources).
          this.builds.delete(page);
          this.logger.error('web page build failed', { page, error });
          throw error;
        },
      );
      this.builds.set(page, pending);
    }
    return pending;
  }

  /** Waits for builds in progress, so a stopping server leaves no esbuild work behind. */
  async stop(): Promise<void> {
    await Promise.allSettled(this.builds.values());
  }
}
