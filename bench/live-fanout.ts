import { graphqlRequest, MOVE_DEAL, type MovedDeal } from './live-graphql.js';
import { dealStates, type DealState, type LiveContext } from './live-data.js';
import { distribution, nowMs, processCpuMs, type Distribution } from './live-stats.js';
import { startServerChild, type MemorySample, type ServerChild } from './server-child.js';
import { latencies, WsClients, type Receipts } from './ws-clients.js';

export const DEAL_EVENTS = 'subscription($p: ID!) { dealEvents(pipelineId: $p) { cursor kind deal { id version stage { id } } } }';

export interface FanoutOptions {
  /** Subscriber counts at which deliveries are timed. */
  readonly sizes: readonly number[];
  /** Subscriber counts at which idle memory is sampled (the slope is fitted over these). */
  readonly memorySizes: readonly number[];
  /** Timed deliveries per size (after two untimed ones). */
  readonly moves: number;
  readonly clientProcesses: number;
}

export interface FanoutLevel {
  readonly subscribers: number;
  /** From the trigger (Pulse: moveDeal's response read by the mover; floor: just before the broadcast loop) to each socket's receipt. */
  readonly latency: (Distribution & { missing: number }) | null;
  /** Pulse only: from sending the moveDeal request to each receipt. */
  readonly fromRequest: Distribution | null;
  readonly memory: MemorySample | null;
  /** Seconds to open the sockets added at this level and have their subscriptions registered. */
  readonly connectSeconds: number;
  /** Server process CPU per message delivered to one socket, over the timed deliveries (µs). */
  readonly serverCpuUsPerDelivery: number | null;
}

export interface FanoutSide {
  readonly levels: FanoutLevel[];
  /** Least-squares slope of RSS over the memory sizes, KB per subscriber. */
  readonly rssKbPerSubscriber: number;
  readonly heapKbPerSubscriber: number;
  readonly messageBytes: number;
  readonly closeCodes: Record<string, number>;
  readonly clientErrors: number;
  readonly firstClientError: string | null;
}

export interface FanoutResult {
  readonly options: FanoutOptions;
  readonly pulse: FanoutSide;
  readonly floor: FanoutSide;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / n;
  const num = points.reduce((sum, p) => sum + (p.x - meanX) * (p.y - meanY), 0);
  const den = points.reduce((sum, p) => sum + (p.x - meanX) ** 2, 0);
  return num / den;
}

async function waitForSubscribers(server: ServerChild, count: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const now = await server.subscribers();
    if (now === count) return;
    if (Date.now() > deadline) throw new Error(`expected ${count} subscribers on the server, it has ${now}`);
    await sleep(100);
  }
}

interface Delivery {
  /** Pulse: when the moveDeal request was sent; null for the floor. */
  readonly requestedAt: number | null;
  readonly startedAt: number;
  readonly receipts: Receipts;
}

type Trigger = (n: number) => Promise<{ requestedAt: number | null; startedAt: number; key: string }>;

/** Ramps the subscribers level by level; samples memory and times deliveries where asked. */
async function runSide(server: ServerChild, clients: WsClients, options: FanoutOptions, trigger: Trigger, log: (line: string) => void): Promise<FanoutSide> {
  const levels: FanoutLevel[] = [];
  const all = [...new Set([...options.sizes, ...options.memorySizes])].sort((a, b) => a - b);
  let open = 0;
  let n = 0;
  for (const size of all) {
    const connectStart = performance.now();
    const connected = await clients.connectUpTo(size, open);
    if (connected.open !== size) throw new Error(`opened ${connected.open} of ${size} sockets: ${connected.firstError}`);
    open = connected.open;
    await waitForSubscribers(server, size);
    const connectSeconds = (performance.now() - connectStart) / 1000;
    await sleep(500);
    const memory = options.memorySizes.includes(size) ? await server.memory() : null;
    let latency: FanoutLevel['latency'] = null;
    let fromRequest: Distribution | null = null;
    let serverCpuUsPerDelivery: number | null = null;
    if (options.sizes.includes(size)) {
      const deliveries: Delivery[] = [];
      let cpuStart = Number.NaN;
      for (let i = 0; i < options.moves + 2; i += 1) {
        if (i === 2) cpuStart = processCpuMs(server.pid);
        const { requestedAt, startedAt, key } = await trigger((n += 1));
        const receipts = await clients.receipts(key, 20_000);
        if (i >= 2) deliveries.push({ requestedAt, startedAt, receipts });
        await sleep(150);
      }
      // Includes the trigger's own work (Pulse: the moveDeal mutation; floor: nothing) and the pauses' idle time.
      serverCpuUsPerDelivery = ((processCpuMs(server.pid) - cpuStart) * 1000) / (options.moves * size);
      latency = latencies(deliveries);
      const fromRequests = deliveries.flatMap(({ requestedAt, receipts }) => (requestedAt === null ? [] : receipts.times.map((time) => time - requestedAt)));
      fromRequest = fromRequests.length > 0 ? distribution(fromRequests) : null;
    }
    levels.push({ subscribers: size, latency, fromRequest, memory, connectSeconds, serverCpuUsPerDelivery });
    log(
      `  ${String(size).padStart(5)} subscribers` +
        (memory ? `: RSS ${(memory.rssKb / 1024).toFixed(1)} MB, heap ${(memory.heapUsedKb / 1024).toFixed(1)} MB` : '') +
        (latency ? `; p50 ${latency.p50Ms.toFixed(1)} ms, p99 ${latency.p99Ms.toFixed(1)} ms, max ${latency.maxMs.toFixed(1)} ms, missing ${latency.missing}` : '') +
        (serverCpuUsPerDelivery !== null ? `; server CPU ${serverCpuUsPerDelivery.toFixed(1)} µs per delivery` : '') +
        `; connected in ${connectSeconds.toFixed(1)} s`,
    );
  }
  const status = await clients.status();
  const memoryPoints = levels.flatMap((level) => (level.memory ? [{ x: level.subscribers, rss: level.memory.rssKb, heap: level.memory.heapUsedKb }] : []));
  return {
    levels,
    rssKbPerSubscriber: slope(memoryPoints.map((p) => ({ x: p.x, y: p.rss }))),
    heapKbPerSubscriber: slope(memoryPoints.map((p) => ({ x: p.x, y: p.heap }))),
    messageBytes: status.sample ? Buffer.byteLength(status.sample) : 0,
    closeCodes: status.closeCodes,
    clientErrors: status.errors,
    firstClientError: status.firstError,
  };
}

/** Pulse's dealEvents fan-out and idle memory, then a bare `ws` server's, at the same sizes. */
export async function runFanoutSection(ctx: LiveContext, options: FanoutOptions): Promise<FanoutResult> {
  const { tenant, log } = ctx;
  const lifetimeMs = 600_000;
  let sample: string | null = null;
  const pulseServer = await startServerChild({ kind: 'pulse', databaseUrl: ctx.databaseUrl, poolSize: ctx.poolSize, publication: true, recordOpens: true }, lifetimeMs);
  let pulse: FanoutSide;
  try {
    const url = `${pulseServer.url}/graphql`;
    const clients = await WsClients.start(
      options.clientProcesses,
      { url: url.replace('http:', 'ws:'), mode: 'pulse', token: tenant.token, query: DEAL_EVENTS, variables: { p: tenant.pipelineId } },
      lifetimeMs,
    );
    try {
      const [deal] = await dealStates(ctx.db, tenant.organizationId, 1);
      if (!deal) throw new Error('no deal to move');
      const mover: DealState = { ...deal };
      const move: Trigger = async () => {
        const stageId = tenant.stageIds[(tenant.stageIds.indexOf(mover.stageId) + 1) % tenant.stageIds.length] ?? mover.stageId;
        const requestedAt = nowMs();
        const moved = await graphqlRequest<MovedDeal>(url, tenant.token, MOVE_DEAL, { input: { id: mover.id, expectedVersion: mover.version, stageId } });
        const startedAt = nowMs();
        mover.version = moved.moveDeal.version;
        mover.stageId = moved.moveDeal.stage.id;
        return { requestedAt, startedAt, key: `${mover.id}:${mover.version}` };
      };
      log('fan-out through Pulse (dealEvents over graphql-ws, one server process):');
      pulse = await runSide(pulseServer, clients, options, move, log);
      sample = (await clients.status()).sample;
    } finally {
      await clients.stop();
    }
  } finally {
    await pulseServer.stop();
  }
  if (!sample) throw new Error('no event reached the Pulse subscribers');

  // The floor's message: Pulse's own, with a made-up deal id of the same length per broadcast.
  const template = JSON.parse(sample) as { payload: { data: { dealEvents: { deal: { id: string; version: number } } } } };
  const bareServer = await startServerChild({ kind: 'bare-ws' }, lifetimeMs);
  let floor: FanoutSide;
  try {
    const clients = await WsClients.start(options.clientProcesses, { url: bareServer.url, mode: 'bare', token: '', query: '', variables: {} }, lifetimeMs);
    try {
      const broadcast: Trigger = async (n) => {
        const deal = template.payload.data.dealEvents.deal;
        deal.id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
        const { startedAt } = await bareServer.broadcast(JSON.stringify(template));
        return { requestedAt: null, startedAt, key: `${deal.id}:${deal.version}` };
      };
      log('fan-out floor (bare ws server, same payload size, one process):');
      floor = await runSide(bareServer, clients, options, broadcast, log);
    } finally {
      await clients.stop();
    }
  } finally {
    await bareServer.stop();
  }
  return { options, pulse, floor };
}
