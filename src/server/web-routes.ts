import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import { printSchema, type GraphQLSchema } from 'graphql';
import type { Config } from '../config.js';
import type { Logger } from '../shared/logger.js';
import { WebAssets, type WebPage } from './web-assets.js';

export interface WebRoutesOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly schema: GraphQLSchema;
  readonly graphqlPath: string;
}

const PLAIN_HOST = /^[\w.-]+(:\d+)?$|^\[[\da-f:.]+\](:\d+)?$/i;

/**
 * The pages' own code is all they run: no third-party origin for scripts, styles or sockets.
 * Inline styles stay allowed because GraphiQL and the board set element styles from script. The
 * WebSocket origin is named too: older Safari does not count ws:// as 'self'.
 */
function pageSecurityHeaders(req: Request): Record<string, string> {
  const host = req.headers.host && PLAIN_HOST.test(req.headers.host) ? req.headers.host : null;
  const sockets = host ? ` ws://${host} wss://${host}` : '';
  return {
    'Content-Security-Policy': `default-src 'self'; connect-src 'self'${sockets}; img-src 'self' data:; font-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'`,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
  };
}

/**
 * A browser opening the URL, as opposed to a GraphQL client sending a GET query: no `query`
 * parameter, and text/html preferred over JSON. `Accept: *\/*` (curl) picks JSON, as Apollo does.
 */
function wantsPage(req: Request): boolean {
  return req.query['query'] === undefined && req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html';
}

/** Bundled file names are flat (board.js, board.css.map): anything else is not ours. */
const ASSET_NAME = /^[a-z]+\.(js|css)(\.map)?$/;

/**
 * Browser pages next to the API: the GraphQL explorer on `GET /graphql` (when enabled), the live
 * board on `/board`, and the printed schema on `/schema.graphql` for code generators. Mounted
 * before Apollo so a browser's GET of /graphql gets the page while GraphQL requests pass through.
 */
export function mountWebRoutes(app: Express, options: WebRoutesOptions): { stop(): Promise<void> } {
  const assets = new WebAssets(options.logger);
  const sendPage =
    (page: WebPage): RequestHandler =>
    async (req: Request, res: Response) => {
      const folder = await assets.folder(page);
      res.set(pageSecurityHeaders(req)).sendFile('index.html', { root: folder });
    };
  const sendAsset =
    (page: WebPage): RequestHandler =>
    async (req: Request, res: Response, next: NextFunction) => {
      const name = req.path.slice(1);
      if (!ASSET_NAME.test(name) || !name.startsWith(`${page}.`)) return next();
      const folder = await assets.folder(page);
      res.set({ 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' }).sendFile(name, { root: folder }, (error) => {
        if (error && !res.headersSent) next();
      });
    };

  const pages: WebPage[] = options.config.explorer ? ['explorer', 'board'] : ['board'];
  if (options.config.explorer) {
    app.get(options.graphqlPath, (req, res, next) => (wantsPage(req) ? sendPage('explorer')(req, res, next) : next()));
    app.use('/explorer', sendAsset('explorer'));
  }
  app.get('/board', sendPage('board'));
  app.use('/board', sendAsset('board'));
  // Built in the background from the start, so the first visitor does not wait for esbuild. A
  // failure is logged, and the page's next request tries again.
  for (const page of pages) assets.folder(page).catch(() => undefined);

  // Printed once: the schema does not change while the server runs. Public, like the API's shape.
  const sdl = `${printSchema(options.schema)}\n`;
  app.get('/schema.graphql', (_req, res) => {
    res.type('text/plain; charset=utf-8').set('Cache-Control', 'no-cache').send(sdl);
  });
  return { stop: () => assets.stop() };
}
