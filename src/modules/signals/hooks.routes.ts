import express, { type Router } from 'express';
import type { Db } from '../../db/database.js';
import { DomainError, httpStatusOf } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { recordWebhookSignal } from './signal-record.service.js';

/**
 * POST /hooks/signals: JSON from social listening or web analytics tools for the organisation
 * named in `X-Pulse-Organization`, with `X-Pulse-Timestamp: <unix seconds>` and
 * `X-Pulse-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">` under its secret.
 */
export function hookRoutes(db: Db, logger: Logger): Router {
  const router = express.Router();
  router.post('/hooks/signals', express.raw({ type: () => true, limit: '64kb' }), async (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    try {
      const signal = await recordWebhookSignal(
        db,
        String(req.get('x-pulse-organization') ?? ''),
        body,
        String(req.get('x-pulse-signature') ?? ''),
        String(req.get('x-pulse-timestamp') ?? ''),
      );
      res.status(202).json({ id: signal.id, kind: signal.kind, leadId: signal.leadId, contactId: signal.contactId });
    } catch (error) {
      if (error instanceof DomainError) {
        res.status(httpStatusOf(error.code)).json({ error: error.message, code: error.code, ...(error.details['field'] ? { field: error.details['field'] } : {}) });
        return;
      }
      logger.error('webhook signal failed', { error });
      res.status(500).json({ error: 'Internal server error', code: 'INTERNAL_SERVER_ERROR' });
    }
  });
  return router;
}
