import { fileURLToPath } from 'node:url';
import { startChild, type Child } from './child-ipc.js';
import { distribution, type Distribution } from './live-stats.js';

/** What every client process is told: where to connect and, for Pulse, what to subscribe to. */
export interface WsClientSetup {
  readonly url: string;
  /** 'pulse': graphql-transport-ws handshake and one subscription per socket; 'bare': the socket only. */
  readonly mode: 'pulse' | 'bare';
  readonly token: string;
  readonly query: string;
  readonly variables: Record<string, unknown>;
}

export interface ConnectResult {
  readonly open: number;
  readonly failed: number;
  readonly firstError: string | null;
}

export interface Receipts {
  /** Epoch ms (nowMs) at which each socket received the message. */
  readonly times: number[];
  readonly missing: number;
}

export interface ClientStatus {
  readonly open: number;
  readonly closed: number;
  readonly closeCodes: Record<string, number>;
  readonly errors: number;
  readonly firstError: string | null;
  /** One message as received, to build the floor's payload of the same size. */
  readonly sample: string | null;
}

const ENTRY = fileURLToPath(new URL('./ws-clients-process.ts', import.meta.url));

/**
 * WebSocket subscribers spread over several processes, so that the clients' own work does not
 * run on the server's event loop (it still shares the machine's cores).
 */
export class WsClients {
  private constructor(private readonly children: Child[]) {}

  static async start(processes: number, setup: WsClientSetup, lifetimeMs: number): Promise<WsClients> {
    const children = Array.from({ length: processes }, () => startChild(ENTRY, { lifetimeMs }));
    const clients = new WsClients(children);
    try {
      await Promise.all(children.map((child) => child.call('setup', setup)));
    } catch (error) {
      await clients.stop();
      throw error;
    }
    return clients;
  }

  /** Opens sockets until `total` are open in all, split evenly between the processes. */
  async connectUpTo(total: number, open: number): Promise<ConnectResult> {
    const add = Math.max(0, total - open);
    const shares = this.children.map((_, index) => Math.floor(add / this.children.length) + (index < add % this.children.length ? 1 : 0));
    const results = await Promise.all(this.children.map((child, index) => child.call<ConnectResult>('connect', { count: shares[index] ?? 0, concurrency: 32 }, 300_000)));
    return {
      open: results.reduce((sum, result) => sum + result.open, 0),
      failed: results.reduce((sum, result) => sum + result.failed, 0),
      firstError: results.find((result) => result.firstError)?.firstError ?? null,
    };
  }

  /** Waits until every open socket received the message with `key` (deal id:version), or the timeout. */
  async receipts(key: string, timeoutMs: number): Promise<Receipts> {
    const results = await Promise.all(this.children.map((child) => child.call<Receipts>('await', { key, timeoutMs }, timeoutMs + 30_000)));
    return { times: results.flatMap((result) => result.times), missing: results.reduce((sum, result) => sum + result.missing, 0) };
  }

  async status(): Promise<ClientStatus> {
    const all = await Promise.all(this.children.map((child) => child.call<ClientStatus>('status')));
    const closeCodes: Record<string, number> = {};
    for (const status of all) for (const [code, n] of Object.entries(status.closeCodes)) closeCodes[code] = (closeCodes[code] ?? 0) + n;
    return {
      open: all.reduce((sum, status) => sum + status.open, 0),
      closed: all.reduce((sum, status) => sum + status.closed, 0),
      closeCodes,
      errors: all.reduce((sum, status) => sum + status.errors, 0),
      firstError: all.find((status) => status.firstError)?.firstError ?? null,
      sample: all.find((status) => status.sample)?.sample ?? null,
    };
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((child) => child.stop()));
  }
}

/** Delivery latencies of several messages to every socket, pooled, as one distribution. */
export function latencies(deliveries: readonly { startedAt: number; receipts: Receipts }[]): Distribution & { missing: number } {
  const values = deliveries.flatMap(({ startedAt, receipts }) => receipts.times.map((time) => time - startedAt));
  return { ...distribution(values), missing: deliveries.reduce((sum, delivery) => sum + delivery.receipts.missing, 0) };
}
