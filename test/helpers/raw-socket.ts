import WebSocket from 'ws';

export interface RawSocket {
  readonly socket: WebSocket;
  /** Resolves true on connection_ack, false if the socket closed or failed first. */
  readonly acked: Promise<boolean>;
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The HTTP status when the upgrade itself was refused. */
  readonly refusedStatus: Promise<number | null>;
}

/** A bare graphql-transport-ws socket, to watch the handshake and close codes directly. */
export function connectRaw(url: string, token: string, options: { origin?: string } = {}): RawSocket {
  const socket = new WebSocket(url, 'graphql-transport-ws', options.origin ? { origin: options.origin } : {});
  let refused: (status: number | null) => void = () => undefined;
  const refusedStatus = new Promise<number | null>((resolve) => (refused = resolve));
  socket.on('unexpected-response', (_req, res) => {
    refused(res.statusCode ?? null);
    socket.terminate();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const acked = new Promise<boolean>((resolve) => {
    socket.on('open', () => {
      refused(null);
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    });
    socket.on('message', (data) => {
      if ((JSON.parse(data.toString()) as { type: string }).type === 'connection_ack') resolve(true);
    });
    socket.on('close', () => resolve(false));
    socket.on('error', () => resolve(false));
  });
  return { socket, acked, closed, refusedStatus };
}
