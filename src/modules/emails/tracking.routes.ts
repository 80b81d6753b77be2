import { and, eq } from 'drizzle-orm';
import type { Router } from 'express';
import express from 'express';
import type { Db } from '../../db/database.js';
import type { TrackingRecorder } from './tracking-recorder.js';
import { emailLinks } from './emails.table.js';
import { organizationOfToken } from './tracking-tokens.js';

/** The smallest transparent GIF. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/**
 * GET /t/o/<token>: always the pixel (an unknown token learns nothing), the open recorded behind.
 * GET /t/c/<token>: a redirect only to the link stored for that token (never an open redirect).
 */
export function trackingRoutes(db: Db, recorder: TrackingRecorder): Router {
  const router = express.Router();
  router.get('/t/o/:token', (req, res) => {
    recorder.open(req.params.token);
    res.set({ 'Content-Type': 'image/gif', 'Cache-Control': 'no-store, private', 'Content-Length': String(PIXEL.length) }).end(PIXEL);
  });
  router.get('/t/c/:token', async (req, res, next) => {
    try {
      const token = req.params.token;
      const organizationId = organizationOfToken(token);
      const [link] = organizationId
        ? await db
            .select({ url: emailLinks.url })
            .from(emailLinks)
            .where(and(eq(emailLinks.organizationId, organizationId), eq(emailLinks.token, token)))
        : [];
      if (!link) {
        res.status(404).type('text/plain').send('Not found');
        return;
      }
      recorder.click(token);
      res.set('Cache-Control', 'no-store, private').redirect(302, link.url);
    } catch (error) {
      next(error);
    }
  });
  return router;
}
