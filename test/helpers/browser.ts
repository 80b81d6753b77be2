import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page, type WebSocketRoute } from 'playwright-core';

/** Debian's Chromium, installed by .ci/run: tests never download a browser. */
export const CHROMIUM = '/usr/bin/chromium';
const inCI = Boolean(process.env['CI']) && process.env['CI'] !== 'false';

/**
 * Why the browser tests cannot run here, or null. Under CI they always run (a missing browser is
 * a failure there, since CI installs it); elsewhere they skip with this message.
 */
export const browserSkipReason: string | null =
  existsSync(CHROMIUM) || inCI ? null : `browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium) and CI is not set`;

/**
 * The little of a page the tests read inside `page.evaluate`, reached through `globalThis`: the
 * API's tsconfig has no DOM types, and these functions run in the page, not in Node.
 */
export interface InPageElement {
  readonly dataset: Readonly<Record<string, string | undefined>>;
  querySelector(selector: string): unknown;
  querySelectorAll(selector: string): Iterable<InPageElement>;
}

export interface InPage {
  readonly document: InPageElement;
  /** The board page's debug hook (web/board/main.ts). */
  readonly pulseBoard: { readonly status: string; readonly boardLoads: number; readonly eventsApplied: number };
  loadedOnce?: boolean;
}

export const ARTIFACTS = join(process.cwd(), 'test-artifacts');

export interface TestBrowser {
  readonly browser: Browser;
  /** A page in a context of its own: its own storage, like a person on their own machine. */
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Headless Chromium. Playwright starts it with a fresh temporary profile (--user-data-dir) and
 * removes it on close. One context per page, not tabs of one window: a background tab gets no
 * animation frames, which slows Playwright's actions and the page's rendering alike.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    newPage: async () => {
      const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
      return context.newPage();
    },
    close: () => browser.close(),
  };
}

/** Saves a screenshot under test-artifacts/ (git-ignored, kept by CI as an artefact). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

export interface NetworkSwitch {
  /** Closes the page's open WebSockets and refuses new ones until `restore`. */
  cut(): Promise<void>;
  restore(): void;
}

/**
 * Puts the page's WebSockets to `url` behind a switch, as a dropped network would: closing
 * Playwright's route closes the socket in the page, and while cut every new one closes at once.
 * Must be installed before the page opens its socket.
 */
export async function cuttableWebSockets(page: Page, url: RegExp): Promise<NetworkSwitch> {
  let online = true;
  let routes: { page: WebSocketRoute; server: WebSocketRoute }[] = [];
  await page.routeWebSocket(url, (socket) => {
    if (!online) return socket.close({ code: 1001, reason: 'network cut by the test' });
    routes.push({ page: socket, server: socket.connectToServer() });
  });
  return {
    cut: async () => {
      online = false;
      const open = routes;
      routes = [];
      for (const route of open) {
        await route.server.close().catch(() => undefined);
        await route.page.close({ code: 1001, reason: 'network cut by the test' }).catch(() => undefined);
      }
    },
    restore: () => {
      online = true;
    },
  };
}
