// The live board page: sign in, pick a pipeline, drag cards; other people's moves arrive live
// (live-board.ts) and totals are re-read after every change, so they are always the server's.
import BOARD_CARD from '../../docs/operations/board-card.graphql';
import BOARD_TOTALS from '../../docs/operations/board-totals.graphql';
import DEALS_BOARD from '../../docs/operations/deals-board.graphql';
import LOG_IN from '../../docs/operations/log-in.graphql';
import MOVE_DEAL from '../../docs/operations/move-deal.graphql';
import PIPELINES from '../../docs/operations/pipelines.graphql';
import { BoardModel, type BoardData, type ColumnTotals, type Placement, type ServerDeal } from './board-model.js';
import { BoardView } from './board-view.js';
import { graphql, GraphQLRequestError } from './graphql-http.js';
import { followDealEvents, type Following, type LiveStatus } from './live-board.js';
import './board.css';

const TOKEN_KEY = 'pulse.board.token';
const PIPELINE_KEY = 'pulse.board.pipeline';
/** The most cards a column loads (the API's limit); further ones are counted, not drawn. */
const PER_STAGE = 200;
/** Changes often come in bursts (a replay after a reconnect): one totals read per burst. */
const TOTALS_DELAY_MS = 100;

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
}

const ui = {
  signIn: byId<HTMLFormElement>('sign-in'),
  signOut: byId<HTMLButtonElement>('sign-out'),
  pipeline: byId<HTMLSelectElement>('pipeline'),
  status: byId<HTMLElement>('status'),
  notice: byId<HTMLElement>('notice'),
  board: byId<HTMLElement>('board'),
};

const STATUS_TEXT: Record<LiveStatus | 'signed-out' | 'loading' | 'stopped', string> = {
  'signed-out': 'Signed out',
  loading: 'Loading the board…',
  connecting: 'Connecting…',
  live: 'Live',
  offline: 'Offline: resuming from the last change when the connection returns',
  stopped: 'Live updates stopped',
};

/** Read by the end-to-end test, and handy in a console: how this page's live board is doing. */
const debug = {
  status: 'signed-out' as keyof typeof STATUS_TEXT,
  boardLoads: 0,
  eventsApplied: 0,
  get cursor(): string | null {
    return following?.cursor ?? null;
  },
};
Object.assign(window, { pulseBoard: debug });

let token = sessionStorage.getItem(TOKEN_KEY);
let model: BoardModel | null = null;
let view: BoardView | null = null;
let following: Following | null = null;
let totalsTimer: ReturnType<typeof setTimeout> | undefined;
let totalsRequest = 0;

function setStatus(status: keyof typeof STATUS_TEXT): void {
  debug.status = status;
  ui.status.dataset['status'] = status;
  ui.status.textContent = STATUS_TEXT[status];
}

function notify(message: string | null): void {
  ui.notice.hidden = message === null;
  ui.notice.textContent = message ?? '';
}

function render(): void {
  if (model && view) view.render(model.columns(), (id) => model?.isPending(id) ?? false);
}

const wsUrl = (): string => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;

/** Any request's failure: a refused token signs out, anything else is shown. */
function failed(error: unknown): void {
  if (error instanceof GraphQLRequestError && error.code === 'UNAUTHENTICATED') return signOut('Your session ended: sign in again.');
  notify(error instanceof Error ? error.message : String(error));
}

function signOut(message: string | null): void {
  following?.stop();
  following = null;
  model = null;
  view = null;
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  ui.board.hidden = true;
  ui.board.replaceChildren();
  ui.pipeline.hidden = true;
  ui.signOut.hidden = true;
  ui.signIn.hidden = false;
  setStatus('signed-out');
  notify(message);
}

async function signIn(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const form = new FormData(ui.signIn);
  try {
    const { logIn } = await graphql<{ logIn: { token: string } }>(LOG_IN, { input: { email: form.get('email'), password: form.get('password') } }, null);
    token = logIn.token;
    sessionStorage.setItem(TOKEN_KEY, token);
    notify(null);
    await showPipelines();
  } catch (error) {
    // Here UNAUTHENTICATED means wrong credentials: say so, rather than "session ended".
    notify(error instanceof Error ? error.message : String(error));
  }
}

async function showPipelines(): Promise<void> {
  ui.signIn.hidden = true;
  ui.signOut.hidden = false;
  setStatus('loading');
  const { pipelines } = await graphql<{ pipelines: { id: string; name: string }[] }>(PIPELINES, {}, token);
  ui.pipeline.replaceChildren(...pipelines.map((pipeline) => new Option(pipeline.name, pipeline.id)));
  const saved = sessionStorage.getItem(PIPELINE_KEY);
  if (saved && pipelines.some((pipeline) => pipeline.id === saved)) ui.pipeline.value = saved;
  ui.pipeline.hidden = false;
  await openBoard(ui.pipeline.value);
}

/** Reads the board (cards, totals and the cursor of that snapshot), then follows it from that cursor. */
async function openBoard(pipelineId: string): Promise<void> {
  following?.stop();
  following = null;
  setStatus('loading');
  sessionStorage.setItem(PIPELINE_KEY, pipelineId);
  const { dealsBoard } = await graphql<{ dealsBoard: BoardData & { cursor: string } }>(DEALS_BOARD, { pipelineId, perStage: PER_STAGE }, token);
  debug.boardLoads += 1;
  const board = new BoardModel(dealsBoard);
  model = board;
  view = new BoardView(ui.board, board.stages, (dealId, placement) => void moveCard(board, pipelineId, dealId, placement));
  ui.board.hidden = false;
  render();
  following = followDealEvents({
    url: wsUrl(),
    token: token ?? '',
    pipelineId,
    after: dealsBoard.cursor,
    onEvent: (event) => {
      debug.eventsApplied += 1;
      if (board.applyDeal(event.deal, event.kind === 'DELETED')) render();
      refreshTotalsSoon(board, pipelineId);
    },
    onExpired: () => void openBoard(pipelineId).catch(failed),
    onUnauthorized: () => signOut('Your session ended: sign in again.'),
    onFailed: (message) => {
      setStatus('stopped');
      notify(`Live updates stopped: ${message}`);
    },
    onStatus: setStatus,
  });
}

function refreshTotalsSoon(board: BoardModel, pipelineId: string): void {
  clearTimeout(totalsTimer);
  totalsTimer = setTimeout(() => void refreshTotals(board, pipelineId), TOTALS_DELAY_MS);
}

/** Re-reads the columns' totals (SQL over each whole column); only the newest answer is drawn. */
async function refreshTotals(board: BoardModel, pipelineId: string): Promise<void> {
  const request = ++totalsRequest;
  try {
    const { dealsBoard } = await graphql<{ dealsBoard: { columns: ({ stage: { id: string } } & ColumnTotals)[] } }>(BOARD_TOTALS, { pipelineId }, token);
    if (request !== totalsRequest || board !== model) return;
    board.setTotals(dealsBoard.columns);
    render();
  } catch {
    // Offline or restarting: the next change, or the replay after reconnecting, reads them again.
  }
}

/**
 * Shows the card where it was dropped at once, then asks the server. A CONFLICT means someone
 * else changed the deal first: the card is re-read and snaps to where it really is.
 */
async function moveCard(board: BoardModel, pipelineId: string, dealId: string, placement: Placement): Promise<void> {
  const card = board.card(dealId);
  if (!card || board.isPending(dealId) || board.isWhereItIs(dealId, placement)) return;
  board.place(dealId, placement);
  render();
  try {
    const input = { id: dealId, expectedVersion: card.version, ...placement };
    const { moveDeal } = await graphql<{ moveDeal: ServerDeal }>(MOVE_DEAL, { input }, token);
    board.settle(dealId);
    board.applyDeal(moveDeal);
  } catch (error) {
    board.settle(dealId);
    if (error instanceof GraphQLRequestError && error.code === 'CONFLICT') {
      await snapBack(board, dealId, card.name);
    } else {
      failed(error);
    }
  }
  render();
  refreshTotalsSoon(board, pipelineId);
}

async function snapBack(board: BoardModel, dealId: string, name: string): Promise<void> {
  try {
    const { deal } = await graphql<{ deal: ServerDeal & { deletedAt: string | null } }>(BOARD_CARD, { id: dealId }, token);
    board.applyDeal(deal, deal.deletedAt !== null);
    const where = deal.deletedAt ? 'it is in the recycle bin' : `it is back where it really is, in ${board.stageName(deal.stage.id) ?? 'another pipeline'}`;
    notify(`Conflict: “${name}” was changed by someone else before your move; ${where}.`);
  } catch (error) {
    failed(error);
  }
}

ui.signIn.addEventListener('submit', (event) => void signIn(event));
ui.signOut.addEventListener('click', () => signOut(null));
ui.pipeline.addEventListener('change', () => void openBoard(ui.pipeline.value).catch(failed));
ui.notice.addEventListener('click', () => notify(null));
if (token) showPipelines().catch(failed);
else signOut(null);
