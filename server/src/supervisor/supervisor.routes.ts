import { Router } from 'express';
import type { QueueStats } from '@ringside/shared';
import type { AuthService } from '../auth/auth.service';
import { requireAuth } from '../auth/auth.middleware';
import { allow } from '../auth/policy';
import type { SupervisorService } from './supervisor.service';

/** `GET /api/supervisor/stats`: the same figures `queue:stats` pushes, for supervisors. */
export function supervisorRoutes(deps: { auth: AuthService; supervisor: SupervisorService }): Router {
  const router = Router();
  router.get('/stats', requireAuth(deps.auth), allow('read', 'SupervisorStats'), async (_req, res) => {
    res.json((await deps.supervisor.snapshot()) satisfies QueueStats);
  });
  return router;
}
