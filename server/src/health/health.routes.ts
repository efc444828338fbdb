import { Router } from 'express';
import type { Health } from '@ringside/shared';
import type { Database } from '../db/connection';

/** `GET /healthz` → 200 `{status:'ok', db:'ok'}`, or 503 `{status:'degraded', db:'down'}`. */
export function healthRoutes(deps: { db: Database }): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    const up = await deps.db.ping();
    res.status(up ? 200 : 503).json({ status: up ? 'ok' : 'degraded', db: up ? 'ok' : 'down' } satisfies Health);
  });
  return router;
}
