import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { nowMs } from './live-stats.js';

/** The fan-out and memory floor: a bare `ws` server on the same path, no protocol, no GraphQL. */
export interface BareWsServer {
  readonly url: string;
  clients(): number;
  /** Sends one message to every socket; `startedAt` is the trigger time the latencies count from. */
  broadcast(message: string): { startedAt: number; sent: number };
  stop(): Promise<void>;
}

export async function startBareWsServer(): Promise<BareWsServer> {
  const httpServer = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: 1024 * 1024 });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/graphql`,
    clients: () => wss.clients.size,
    broadcast: (message) => {
      const startedAt = nowMs();
      let sent = 0;
      for (const socket of wss.clients) {
        socket.send(message);
        sent += 1;
      }
      return { startedAt, sent };
    },
    stop: async () => {
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}
