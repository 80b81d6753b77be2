import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';

/** The same 43 bytes Pulse answers on /t/o/<token> (src/modules/emails/tracking.routes.ts). */
export const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const HEADERS = { 'Content-Type': 'image/gif', 'Cache-Control': 'no-store, private', 'Content-Length': String(PIXEL.length) } as const;

export type PixelFloorKind = 'node-http' | 'express';

/** A static pixel on /t/o/:token: plain node:http, or a bare Express app with one route. */
export async function startPixelFloor(kind: PixelFloorKind): Promise<{ url: string; stop(): Promise<void> }> {
  let server: Server;
  if (kind === 'node-http') {
    server = createServer((req, res) => {
      if (req.method === 'GET' && req.url?.startsWith('/t/o/')) res.writeHead(200, HEADERS).end(PIXEL);
      else res.writeHead(404).end();
    });
  } else {
    const app = express();
    app.disable('x-powered-by');
    app.get('/t/o/:token', (_req, res) => {
      res.set(HEADERS).end(PIXEL);
    });
    server = createServer(app);
  }
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
