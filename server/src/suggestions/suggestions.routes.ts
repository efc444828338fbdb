import { Router } from 'express';
import type { AuthService } from '../auth/auth.service';
import { requireAuth } from '../auth/auth.middleware';
import { allow } from '../auth/policy';
import type { AuditService } from '../audit/audit.service';
import { viewerOf } from '../auth/viewer';
import type { JobRuns } from '../jobs/job-runs';
import { conflict, unavailable } from '../errors';
import { SUGGESTIONS_FULL } from './suggestions.jobs';

/**
 * `POST /api/suggestions/run` (admin): a full run now, queued for the process that runs the jobs
 * (202), for a first run on a large database before its nightly window; 409 with the running one's
 * progress while one is under way.
 */
export function suggestionRoutes(deps: {
  auth: AuthService;
  audit: AuditService;
  runs: JobRuns;
  queueFullRun?: () => Promise<void>;
}): Router {
  const router = Router();
  router.post('/run', requireAuth(deps.auth), allow('run', 'SuggestionsRun'), async (req, res) => {
    if (!deps.queueFullRun) throw unavailable('this server does not run jobs');
    const running = await deps.runs.running(SUGGESTIONS_FULL);
    if (running) throw conflict(`${SUGGESTIONS_FULL} is already running`, running);
    await deps.queueFullRun();
    const viewer = viewerOf(req);
    await deps.audit.record({
      userId: viewer.userId,
      userName: viewer.name,
      action: 'suggestions.run',
      entity: 'suggestions',
    });
    res.status(202).json({ queued: true });
  });
  return router;
}
