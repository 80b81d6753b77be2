import express, { type Router } from 'express';
import type { Db } from '../../db/database.js';
import { DomainError, httpStatusOf } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { HONEYPOT_FIELD, submitWebForm } from './forms.service.js';

const WINDOW_MS = 60_000;
const POSTS_PER_WINDOW = 10;

/** A fixed-window count of posts per address and form, per process (a brake on scripted spam). */
class PostLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  allow(key: string, now = Date.now()): boolean {
    const window = this.windows.get(key);
    if (!window || now - window.start >= WINDOW_MS) {
      // Forget the oldest windows first (a Map iterates in insertion order), never all at once.
      if (this.windows.size >= 10_000) {
        for (const [old, value] of this.windows) {
          if (this.windows.size < 9_000) break;
          if (now - value.start >= WINDOW_MS || this.windows.size >= 10_000) this.windows.delete(old);
        }
      }
      this.windows.delete(key);
      this.windows.set(key, { start: now, count: 1 });
      return true;
    }
    window.count += 1;
    return window.count <= POSTS_PER_WINDOW;
  }
}

/** POST /forms/<publicKey>: web-to-lead, form-encoded or JSON; redirects when the form says where. */
export function formRoutes(db: Db, logger: Logger): Router {
  const router = express.Router();
  const limiter = new PostLimiter();
  router.post('/forms/:key', express.urlencoded({ extended: false, limit: '32kb' }), express.json({ limit: '32kb' }), async (req, res) => {
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
    // Per address across every form of this process, so random form keys do not buy more posts.
    if (!limiter.allow(req.socket.remoteAddress ?? 'unknown')) {
      res.status(429).set('Retry-After', '60').json({ error: 'Too many submissions from this address; try again in a minute', code: 'RATE_LIMITED' });
      return;
    }
    if (typeof body[HONEYPOT_FIELD] === 'string' && body[HONEYPOT_FIELD] !== '') {
      // Answer as if it worked, so a bot learns nothing; store nothing.
      res.status(200).json({ ok: true });
      return;
    }
    try {
      const result = await submitWebForm(db, req.params.key, body);
      if (result.form.redirectUrl) {
        res.redirect(303, result.form.redirectUrl);
        return;
      }
      // The same answer whether the email was known or not: a public form must not reveal who is in the CRM.
      res.status(200).json({ ok: true });
    } catch (error) {
      if (error instanceof DomainError && error.code === 'CONFLICT') {
        // The email arrived meanwhile through another path: answer as for any known email.
        res.status(200).json({ ok: true });
        return;
      }
      if (error instanceof DomainError) {
        res.status(httpStatusOf(error.code)).json({ error: error.message, code: error.code, ...(error.details['field'] ? { field: error.details['field'] } : {}) });
        return;
      }
      logger.error('form submission failed', { error });
      res.status(500).json({ error: 'Internal server error', code: 'INTERNAL_SERVER_ERROR' });
    }
  });
  return router;
}
