import { Router } from 'express';
import type { AuthService } from '../auth/auth.service';
import { requireAuth } from '../auth/auth.middleware';
import { allow } from '../auth/policy';
import type { AuditService } from '../audit/audit.service';
import type { QueueDirectory } from './queues';
import { viewerOf } from '../auth/viewer';

/** `GET /api/queues` (everyone signed in) and `PUT /api/queues/:name` (admins). */
export function queueRoutes(deps: { auth: AuthService; queues: QueueDirectory; audit: AuditService }): Router {
  const router = Router();
  router.use(requireAuth(deps.auth));
  router.get('/', allow('read', 'Queue'), async (_req, res) => {
    res.json({ queues: await deps.queues.all() });
  });
  router.put('/:name', allow('update', 'Queue'), async (req, res) => {
    const queue = await deps.queues.put(String(req.params.name), req.body);
    const viewer = viewerOf(req);
    await deps.audit.record({
      userId: viewer.userId,
      userName: viewer.name,
      action: 'update',
      entity: 'queue',
      entityId: queue.name,
      details: queue,
    });
    res.json({ queue });
  });
  return router;
}
