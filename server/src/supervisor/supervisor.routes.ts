import { Router } from 'express';
import type { QueueStats, SupervisorAlert } from '@ringside/shared';
import type { AuthService } from '../auth/auth.service';
import { requireAuth } from '../auth/auth.middleware';
import { allow } from '../auth/policy';
import type { SupervisorService } from './supervisor.service';

/**
 * `GET /api/supervisor/stats`: the same figures `queue:stats` pushes, for supervisors;
 * `GET /api/supervisor/alerts`: the last day's alerts (`supervisor:alert` pushes new ones).
 */
export function supervisorRoutes(deps: { auth: AuthService; supervisor: SupervisorService }): Router {
  const router = Router();
  router.get('/stats', requireAuth(deps.auth), allow('read', 'SupervisorStats'), async (_req, res) => {
    res.json((await deps.supervisor.snapshot()) satisfies QueueStats);
  });
  router.get('/alerts', requireAuth(deps.auth), allow('read', 'SupervisorStats'), async (_req, res) => {
    res.json({ alerts: (await deps.supervisor.alerts.recent()) satisfies SupervisorAlert[] });
  });
  return router;
}
