import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { signUpOrganization } from '../factories/organizations.factory.js';
import { defaultPipeline, MOVE, stageNamed } from '../factories/pipelines.factory.js';
import { createDeal } from '../factories/records.factory.js';
import { browserSkipReason, launchBrowser, screenshot, type InPage, type TestBrowser } from '../helpers/browser.js';
import { useTestServer } from '../helpers/test-server.js';

const server = useTestServer();

/** GraphiQL 4's editors are CodeMirror 5 instances, reachable from their DOM element. */
type Editor = { setValue(text: string): void; getValue(): string };

function setEditor(page: Page, selector: string, text: string): Promise<void> {
  return page.evaluate(
    ([css, value]) => ((globalThis as unknown as InPage).document.querySelector(css) as { CodeMirror: Editor }).CodeMirror.setValue(value),
    [selector, text] as const,
  );
}

const response = (page: Page): Promise<string> =>
  page.evaluate(() => ((globalThis as unknown as InPage).document.querySelector('.result-window .CodeMirror') as { CodeMirror: Editor }).CodeMirror.getValue());

const QUERY_EDITOR = '.graphiql-query-editor .CodeMirror';

/** Puts an operation in the query editor and runs it once GraphiQL has read it (its tab takes the operation's name). */
async function run(page: Page, name: string, operation: string): Promise<void> {
  await setEditor(page, QUERY_EDITOR, operation);
  await page.locator('.graphiql-tab-active').getByText(name, { exact: true }).waitFor();
  await page.locator('.graphiql-execute-button').click();
}
const HEADERS_EDITOR = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';

describe.skipIf(browserSkipReason !== null)('the GraphQL explorer, in Chromium', () => {
  let browser: TestBrowser;

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('is served by Pulse itself, documents the schema, sends the Authorization header and runs subscriptions over graphql-ws', async () => {
    const admin = await signUpOrganization(server().client);
    const pipeline = await defaultPipeline(admin.client);
    const page = await browser.newPage();
    const elsewhere: string[] = [];
    const errors: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(server().url) && !request.url().startsWith('data:')) elsewhere.push(request.url());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));

    await page.goto(`${server().url}/graphql`);
    await page.locator('.graphiql-container').waitFor({ timeout: 30_000 });

    // Schema docs, from the SDL descriptions.
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    await page.locator('.graphiql-doc-explorer').getByText('Query', { exact: true }).click();
    await page.locator('.graphiql-doc-explorer').getByText('dealsBoard', { exact: true }).click();
    await page.locator('.graphiql-doc-explorer').getByText('The Kanban board of a pipeline').first().waitFor();
    await screenshot(page, 'explorer-docs');

    // An HTTP query with the token in the Headers tab.
    await setEditor(page, HEADERS_EDITOR, JSON.stringify({ Authorization: `Bearer ${admin.token}` }));
    await run(page, 'Me', 'query Me { me { email } }');
    await expect.poll(() => response(page), { timeout: 10_000 }).toContain(admin.email);

    // A subscription over the WebSocket, authenticated by the same header: it replays a move
    // made after the board's cursor, then stays live.
    const { dealsBoard } = await admin.client.ok(`query($p: ID!) { dealsBoard(pipelineId: $p) { cursor } }`, { p: pipeline.id });
    const deal = await createDeal(admin.client);
    await admin.client.ok(MOVE, { input: { id: deal.id, expectedVersion: 1, stageId: stageNamed(pipeline, 'Needs Analysis').id } });
    await run(
      page,
      'Board',
      `subscription Board { dealEvents(pipelineId: "${pipeline.id}", after: "${dealsBoard.cursor}") { kind dealId deal { stage { name } } } }`,
    );
    await expect.poll(() => response(page), { timeout: 10_000 }).toContain('"kind": "MOVED"');
    expect(await response(page)).toContain(deal.id);
    await admin.client.ok(MOVE, { input: { id: deal.id, expectedVersion: 2, stageId: stageNamed(pipeline, 'Closed Won').id } });
    await expect.poll(() => response(page), { timeout: 10_000 }).toContain('Closed Won');
    await screenshot(page, 'explorer-subscription');
    expect(sockets).toContain(`${server().wsUrl}`);

    expect(elsewhere).toEqual([]);
    expect(errors).toEqual([]);
  }, 120_000);
});

if (browserSkipReason) {
  console.warn(browserSkipReason);
  it.skip(browserSkipReason, () => undefined);
}
