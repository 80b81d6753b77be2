import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { pruneEvents } from '../../src/events/retention.js';
import { inviteMember, signUpOrganization, type SignedInUser } from '../factories/organizations.factory.js';
import { defaultPipeline, MOVE } from '../factories/pipelines.factory.js';
import { createDeal } from '../factories/records.factory.js';
import { browserSkipReason, cuttableWebSockets, launchBrowser, screenshot, type InPage, type TestBrowser } from '../helpers/browser.js';
import { useTestServer } from '../helpers/test-server.js';

const server = useTestServer();

interface ColumnState {
  ids: string[];
  count: string;
  total: string;
  weighted: string;
}
type BoardState = Record<string, ColumnState>;

const BOARD = `query($p: ID!) { dealsBoard(pipelineId: $p, perStage: 200) {
  columns { stage { id } count totalAmount weightedAmount deals { nodes { id } } } } }`;

/** The board as the server has it, in the shape the page shows it. */
async function serverBoard(user: SignedInUser, pipelineId: string): Promise<BoardState> {
  const { dealsBoard } = await user.client.ok(BOARD, { p: pipelineId });
  const state: BoardState = {};
  for (const column of dealsBoard.columns) {
    state[column.stage.id] = {
      ids: column.deals.nodes.map((deal: { id: string }) => deal.id),
      count: String(column.count),
      total: column.totalAmount,
      weighted: column.weightedAmount,
    };
  }
  return state;
}

/** The board as the page shows it: each column's cards in order, and its totals. */
function pageBoard(page: Page): Promise<BoardState> {
  return page.evaluate(() => {
    const { document } = globalThis as unknown as InPage;
    const state: Record<string, { ids: string[]; count: string; total: string; weighted: string }> = {};
    for (const column of document.querySelectorAll('[data-stage-id]')) {
      state[column.dataset['stageId'] ?? ''] = {
        ids: [...column.querySelectorAll('[data-deal-id]')].map((card) => card.dataset['dealId'] ?? ''),
        count: column.dataset['count'] ?? '',
        total: column.dataset['total'] ?? '',
        weighted: column.dataset['weighted'] ?? '',
      };
    }
    return state;
  });
}

const debugOf = (page: Page): Promise<InPage['pulseBoard']> =>
  page.evaluate(() => {
    const board = (globalThis as unknown as InPage).pulseBoard;
    return { status: board.status, boardLoads: board.boardLoads, eventsApplied: board.eventsApplied };
  });

async function signIn(page: Page, user: SignedInUser): Promise<void> {
  await page.goto(`${server().url}/board`);
  await page.fill('input[name=email]', user.email);
  await page.fill('input[name=password]', user.password);
  await page.click('button[type=submit]');
  await page.waitForFunction(() => (globalThis as unknown as Partial<InPage>).pulseBoard?.status === 'live', null, { timeout: 20_000 });
}

const card = (page: Page, stageId: string, dealId: string) => page.locator(`[data-stage-id="${stageId}"] [data-deal-id="${dealId}"]`);

async function drag(page: Page, dealId: string, toStageId: string): Promise<void> {
  await page.locator(`[data-deal-id="${dealId}"]`).dragTo(page.locator(`[data-stage-id="${toStageId}"] .cards`));
}

describe.skipIf(browserSkipReason !== null)('the live board page, in Chromium', () => {
  let browser: TestBrowser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function newPage(): Promise<Page> {
    const page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    return page;
  }

  it('shows moves live across users, resumes after a dropped socket without missing one, snaps back a lost race, and keeps organisations apart', async () => {
    const admin = await signUpOrganization(server().client);
    const member = await inviteMember(admin);
    const outsider = await signUpOrganization(server().client);
    const pipeline = await defaultPipeline(admin.client);
    const [qualification, needs, value, decision] = pipeline.stages.map((stage) => stage.id) as [string, string, string, string];
    const d1 = await createDeal(admin.client, { amount: '1000.00' });
    const d2 = await createDeal(admin.client, { amount: '2500.50' });
    const d3 = await createDeal(member.client, { amount: '300.00' });
    const d4 = await createDeal(admin.client, { amount: '12.34' });
    const outsiderDeal = await createDeal(outsider.client, { amount: '999.00' });
    const { createPipeline: renewals } = await outsider.client.ok(
      `mutation { createPipeline(input: {name: "Renewals", stages: [{name: "Due", probability: 30}, {name: "Renewed", probability: 100, kind: WON}]}) { id stages { id } } }`,
    );
    const renewal = await createDeal(outsider.client, { pipelineId: renewals.id, amount: '50.00' });

    const adminPage = await newPage();
    const memberPage = await newPage();
    const outsiderPage = await newPage();
    const memberNetwork = await cuttableWebSockets(memberPage, /\/graphql$/);
    // A wrong password is refused on the page, in the server's words.
    await outsiderPage.goto(`${server().url}/board`);
    await outsiderPage.fill('input[name=email]', outsider.email);
    await outsiderPage.fill('input[name=password]', 'not-the-password');
    await outsiderPage.click('button[type=submit]');
    await outsiderPage.locator('#notice').filter({ hasText: 'Email or password is incorrect' }).waitFor({ timeout: 10_000 });
    await Promise.all([signIn(adminPage, admin), signIn(memberPage, member), signIn(outsiderPage, outsider)]);
    // Set once: were the page reloaded, it would be gone.
    await memberPage.evaluate(() => Object.assign(globalThis, { loadedOnce: true }));
    const initial = await serverBoard(admin, pipeline.id);
    expect(initial[qualification]?.ids).toEqual([d1.id, d2.id, d3.id, d4.id]);
    expect(await pageBoard(adminPage)).toEqual(initial);
    expect(await pageBoard(memberPage)).toEqual(initial);

    // A drag in one page appears in the other within a second.
    await drag(adminPage, d1.id, needs);
    const dropped = Date.now();
    await card(memberPage, needs, d1.id).waitFor({ timeout: 1_000 });
    expect(Date.now() - dropped).toBeLessThan(1_000);
    const afterDrag = await serverBoard(admin, pipeline.id);
    expect(afterDrag[needs]).toMatchObject({ ids: [d1.id], count: '1', total: '1000.00', weighted: '200.00' });
    await expect.poll(() => pageBoard(adminPage), { timeout: 5_000 }).toEqual(afterDrag);
    await expect.poll(() => pageBoard(memberPage), { timeout: 5_000 }).toEqual(afterDrag);
    await screenshot(adminPage, 'board-1-admin-after-drag');
    await screenshot(memberPage, 'board-1-member-sees-drag');

    // The member's socket drops; three moves happen meanwhile.
    const before = await debugOf(memberPage);
    await memberNetwork.cut();
    await memberPage.waitForFunction(() => (globalThis as unknown as InPage).pulseBoard.status !== 'live');
    const m1 = await admin.client.ok(MOVE, { input: { id: d2.id, expectedVersion: d2.version, stageId: value } });
    const m2 = await admin.client.ok(MOVE, { input: { id: d3.id, expectedVersion: d3.version, stageId: needs, beforeId: d1.id } });
    const { deal: d1Now } = await admin.client.ok(`{ deal(id: "${d1.id}") { version } }`);
    await admin.client.ok(MOVE, { input: { id: d1.id, expectedVersion: d1Now.version, stageId: value, afterId: d2.id } });
    expect([m1.moveDeal.stage.id, m2.moveDeal.stage.id]).toEqual([value, needs]);

    // Offline, the member drags a card that was moved meanwhile: the move loses the race, the page
    // says so and the card snaps to where it really is.
    await drag(memberPage, d2.id, decision);
    await memberPage.locator('#notice').filter({ hasText: 'Conflict' }).waitFor({ timeout: 5_000 });
    expect(await memberPage.locator('#notice').textContent()).toContain('changed by someone else');
    await card(memberPage, value, d2.id).waitFor({ timeout: 5_000 });
    await screenshot(memberPage, 'board-2-member-offline-conflict');
    // Nothing else arrived while the socket was down.
    expect((await debugOf(memberPage)).eventsApplied).toBe(before.eventsApplied);
    expect((await pageBoard(memberPage))[needs]?.ids).toEqual([d1.id]);

    // The socket returns: the page resumes from its cursor and shows all three moves, exactly once.
    memberNetwork.restore();
    const truth = await serverBoard(admin, pipeline.id);
    expect(truth[value]?.ids).toEqual([d2.id, d1.id]);
    expect(truth[needs]?.ids).toEqual([d3.id]);
    await expect.poll(() => pageBoard(memberPage), { timeout: 20_000 }).toEqual(truth);
    const resumed = await debugOf(memberPage);
    expect(resumed).toMatchObject({ status: 'live', boardLoads: 1, eventsApplied: before.eventsApplied + 3 });
    expect(await memberPage.evaluate(() => (globalThis as unknown as InPage).loadedOnce)).toBe(true);
    await expect.poll(() => pageBoard(adminPage), { timeout: 5_000 }).toEqual(truth);
    await screenshot(memberPage, 'board-3-member-resumed');
    await screenshot(adminPage, 'board-3-admin');

    // Another organisation's page saw none of it.
    const outsiderState = await pageBoard(outsiderPage);
    const shown = Object.values(outsiderState).flatMap((column) => column.ids);
    expect(shown).toEqual([outsiderDeal.id]);
    expect(await debugOf(outsiderPage)).toMatchObject({ status: 'live', eventsApplied: 0 });
    await screenshot(outsiderPage, 'board-4-other-organisation');

    // Picking another pipeline shows its board and follows it live.
    await outsiderPage.selectOption('#pipeline', renewals.id);
    await outsiderPage.waitForFunction(() => {
      const board = (globalThis as unknown as InPage).pulseBoard;
      return board.boardLoads === 2 && board.status === 'live';
    });
    const [due, renewed] = renewals.stages.map((stage: { id: string }) => stage.id) as [string, string];
    const renewalsBoard = await pageBoard(outsiderPage);
    expect(Object.keys(renewalsBoard)).toEqual([due, renewed]);
    expect(renewalsBoard[due]).toMatchObject({ ids: [renewal.id], count: '1', total: '50.00', weighted: '15.00' });
    await outsider.client.ok(MOVE, { input: { id: renewal.id, expectedVersion: 1, stageId: renewed } });
    await card(outsiderPage, renewed, renewal.id).waitFor({ timeout: 5_000 });
    await expect.poll(() => pageBoard(outsiderPage), { timeout: 5_000 }).toEqual(await serverBoard(outsider, renewals.id));
    await screenshot(outsiderPage, 'board-5-other-pipeline');
    expect(pageErrors).toEqual([]);
  }, 180_000);

  it('reloads the board when its cursor expired while it was offline, then follows on from the fresh one', async () => {
    const admin = await signUpOrganization(server().client);
    const pipeline = await defaultPipeline(admin.client);
    const [qualification, needs, value] = pipeline.stages.map((stage) => stage.id) as [string, string, string];
    const deal = await createDeal(admin.client);
    const page = await newPage();
    const network = await cuttableWebSockets(page, /\/graphql$/);
    await signIn(page, admin);
    expect((await pageBoard(page))[qualification]?.ids).toEqual([deal.id]);

    await network.cut();
    await page.waitForFunction(() => (globalThis as unknown as InPage).pulseBoard.status !== 'live');
    await admin.client.ok(MOVE, { input: { id: deal.id, expectedVersion: 1, stageId: needs } });
    // Eight days later: retention pruned the events the page would have resumed from.
    expect(await pruneEvents(server().server.deps, new Date(Date.now() + 8 * 24 * 3600 * 1000))).toBeGreaterThan(0);
    network.restore();
    await card(page, needs, deal.id).waitFor({ timeout: 20_000 });
    await page.waitForFunction(() => (globalThis as unknown as InPage).pulseBoard.status === 'live');
    expect(await debugOf(page)).toMatchObject({ boardLoads: 2 });

    await admin.client.ok(MOVE, { input: { id: deal.id, expectedVersion: 2, stageId: value } });
    await card(page, value, deal.id).waitFor({ timeout: 5_000 });
    await expect.poll(() => pageBoard(page), { timeout: 5_000 }).toEqual(await serverBoard(admin, pipeline.id));
    await screenshot(page, 'board-6-reloaded-after-expired-cursor');
    expect(pageErrors).toEqual([]);
  }, 120_000);
});

if (browserSkipReason) {
  console.warn(browserSkipReason);
  it.skip(browserSkipReason, () => undefined);
}
