import { timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { Metrics } from './metrics';
import { notFound, unauthorized } from '../errors';

/**
 * `GET /metrics` (Prometheus) for a scraper that sends `Authorization: Bearer <METRICS_TOKEN>`.
 * Without a METRICS_TOKEN the route is off: the figures (call volumes, queue depths) are not public.
 */
export function metricsRoutes(metrics: Metrics, token: string | undefined): Router {
  const router = Router();
  const expected = token ? Buffer.from(`Bearer ${token}`) : undefined;
  router.get('/metrics', async (req, res) => {
    if (!expected) throw notFound('metrics (set METRICS_TOKEN to serve them)');
    const given = Buffer.from(req.get('authorization') ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw unauthorized('metrics need Authorization: Bearer <METRICS_TOKEN>');
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
