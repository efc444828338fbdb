import { Router } from 'express';
import type { AuthService } from '../auth/auth.service';
import { requireAuth } from '../auth/auth.middleware';
import { allow } from '../auth/policy';
import type { AuditService } from '../audit/audit.service';
import { viewerOf } from '../auth/viewer';
import type { DunningService } from './dunning.service';
import type { DunningScans } from './scans';

/**
 * `GET /api/dunning/cases` (supervisor, legal, admin), `GET /api/dunning/cases/:id` and its
 * `/letter` and `/legal-summary` PDFs (those roles, or an agent who may see the customer),
 * `POST /api/dunning/cases/:id/outcome` (what an agent learned on the call), and
 * `POST /api/dunning/run` (admin: a full scan now, answered when it has finished; 409 with the
 * running scan's progress while one is under way).
 */
export function dunningRoutes(deps: {
  auth: AuthService;
  dunning: DunningService;
  scans: DunningScans;
  audit: AuditService;
}): Router {
  const router = Router();
  router.use(requireAuth(deps.auth));

  router.get('/cases', allow('list', 'DunningCase'), async (req, res) => {
    res.json(await deps.dunning.list(req.query));
  });

  router.get('/cases/:id', async (req, res) => {
    res.json(await deps.dunning.get(String(req.params.id), viewerOf(req)));
  });

  for (const kind of ['letter', 'legal-summary'] as const) {
    router.get(`/cases/:id/${kind}`, async (req, res) => {
      const viewer = viewerOf(req);
      const doc = await deps.dunning.document(String(req.params.id), kind, viewer);
      await deps.audit.record({
        userId: viewer.userId,
        userName: viewer.name,
        action: `read.${kind}`,
        entity: 'dunning_case',
        entityId: String(req.params.id),
      });
      res.type(doc.contentType).set('content-disposition', `inline; filename="${doc.filename}"`).send(doc.data);
    });
  }

  router.post('/cases/:id/outcome', allow('record', 'DunningCase'), async (req, res) => {
    res.json(await deps.dunning.recordOutcome(String(req.params.id), req.body, viewerOf(req)));
  });

  router.post('/run', allow('run', 'DunningScan'), async (req, res) => {
    const viewer = viewerOf(req);
    // The request going away does not stop the scan: it finishes, and its report is kept.
    const report = await deps.scans.run();
    await deps.audit.record({
      userId: viewer.userId,
      userName: viewer.name,
      action: 'dunning.run',
      entity: 'dunning',
      details: report,
    });
    res.json(report);
  });
  return router;
}
