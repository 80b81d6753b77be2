/**
 * Child-process entry of WebSocket subscribers: opens raw `ws` sockets, speaks just enough of
 * graphql-transport-ws (connection_init with the token, then one subscribe), and notes when each
 * socket received each deal event. Started by ws-clients.ts only; loopback targets only.
 */
import WebSocket from 'ws';
import { serveCommands } from './child-ipc.js';
import { nowMs } from './live-stats.js';
import type { ClientStatus, ConnectResult, Receipts, WsClientSetup } from './ws-clients.js';

let setup: WsClientSetup | null = null;
const sockets = new Set<WebSocket>();
const received = new Map<string, number[]>();
const waiters = new Map<string, () => void>();
const closeCodes: Record<string, number> = {};
let closed = 0;
let errors = 0;
let firstError: string | null = null;
let sample: string | null = null;

interface NextMessage {
  readonly type: string;
  readonly payload?: { readonly data?: { readonly dealEvents?: { readonly deal?: { readonly id: string; readonly version: number } } } };
}

const DEAL_ID = '"deal":{"id":"';
const VERSION = '"version":';

/** The deal's id:version read straight from the text: a full JSON.parse per receipt would slow the clients more than the server. */
function quickKey(text: string): string | null {
  const at = text.indexOf(DEAL_ID);
  if (at < 0 || !text.includes('"type":"next"')) return null;
  const id = text.slice(at + DEAL_ID.length, at + DEAL_ID.length + 36);
  const versionAt = text.indexOf(VERSION, at);
  if (versionAt < 0) return null;
  return `${id}:${Number.parseInt(text.slice(versionAt + VERSION.length, versionAt + VERSION.length + 12), 10)}`;
}

function record(key: string, at: number): void {
  const times = received.get(key) ?? [];
  times.push(at);
  received.set(key, times);
  if (times.length >= sockets.size) waiters.get(key)?.();
}

function onMessage(socket: WebSocket, data: WebSocket.RawData, onAck: () => void): void {
  const at = nowMs();
  const text = data.toString();
  const quick = quickKey(text);
  if (quick) {
    sample ??= text;
    return record(quick, at);
  }
  const message = JSON.parse(text) as NextMessage;
  if (message.type === 'connection_ack') return onAck();
  if (message.type === 'ping') return socket.send(JSON.stringify({ type: 'pong' }));
  if (message.type !== 'next') {
    errors += 1;
    firstError ??= text.slice(0, 300);
    return;
  }
  const deal = message.payload?.data?.dealEvents?.deal;
  if (!deal) {
    errors += 1;
    firstError ??= text.slice(0, 300);
    return;
  }
  sample ??= text;
  record(`${deal.id}:${deal.version}`, at);
}

function openOne(config: WsClientSetup): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(config.url, config.mode === 'pulse' ? 'graphql-transport-ws' : [], { perMessageDeflate: false });
    let settled = false;
    const settle = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        socket.terminate();
        reject(error);
      } else {
        sockets.add(socket);
        resolve();
      }
    };
    const timer = setTimeout(() => settle(new Error('handshake took over 30 s')), 30_000);
    socket.on('open', () => {
      if (config.mode === 'bare') return settle();
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${config.token}` } }));
    });
    socket.on('message', (data) =>
      onMessage(socket, data, () => {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: config.query, variables: config.variables } }));
        settle();
      }),
    );
    socket.on('error', (error) => {
      errors += 1;
      firstError ??= error.message;
      settle(error);
    });
    socket.on('close', (code) => {
      if (sockets.delete(socket)) {
        closed += 1;
        closeCodes[String(code)] = (closeCodes[String(code)] ?? 0) + 1;
      }
      settle(new Error(`closed with ${code} during the handshake`));
    });
  });
}

async function connect({ count, concurrency }: { count: number; concurrency: number }): Promise<ConnectResult> {
  const config = setup;
  if (!config) throw new Error('setup first');
  const host = new URL(config.url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost') throw new Error(`refusing to connect to ${host}: only 127.0.0.1 is a target`);
  let started = 0;
  let failed = 0;
  let error: string | null = null;
  const lane = async (): Promise<void> => {
    while (started < count) {
      started += 1;
      await openOne(config).catch((reason: unknown) => {
        failed += 1;
        error ??= reason instanceof Error ? reason.message : String(reason);
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return { open: sockets.size, failed, firstError: error };
}

function receipts({ key, timeoutMs }: { key: string; timeoutMs: number }): Promise<Receipts> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      waiters.delete(key);
      const times = received.get(key) ?? [];
      received.delete(key);
      resolve({ times, missing: Math.max(0, sockets.size - times.length) });
    };
    const timer = setTimeout(done, timeoutMs);
    waiters.set(key, done);
    if ((received.get(key)?.length ?? 0) >= sockets.size) done();
  });
}

serveCommands(
  {
    setup: (config: WsClientSetup) => {
      setup = config;
    },
    connect: (args: { count: number; concurrency: number }) => connect(args),
    await: (args: { key: string; timeoutMs: number }) => receipts(args),
    status: (): ClientStatus => ({ open: sockets.size, closed, closeCodes, errors, firstError, sample }),
  },
  async () => {
    for (const socket of sockets) socket.terminate();
    sockets.clear();
  },
);
