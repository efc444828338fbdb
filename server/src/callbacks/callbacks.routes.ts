import { Router } from 'express';
import type { CallbackAccepted } from '@ringside/shared';
import type { AuthService } from '../auth/auth.service';
import { requireAuth } from '../auth/auth.middleware';
import { allow } from '../auth/policy';
import type { CallbackDialer } from './callback-dialer';
import type { CallbackService } from './callbacks.service';
import type { AuditService } from '../audit/audit.service';
import { viewerOf } from '../auth/viewer';

/** `GET|POST /api/callbacks`, `POST /api/callbacks/:id/accept`, `PATCH` (reassign) and `DELETE /api/callbacks/:id`. */
export function callbackRoutes(deps: {
  auth: AuthService;
  callbacks: CallbackService;
  dialer: CallbackDialer;
  audit: AuditService;
}): Router {
  const router = Router();
  router.use(requireAuth(deps.auth));
  router.get('/', async (req, res) => {
    res.json(await deps.callbacks.list(req.query, viewerOf(req)));
  });
  router.post('/', async (req, res) => {
    const viewer = viewerOf(req);
    const result = await deps.callbacks.schedule(req.body, viewer);
    if (result.created) {
      await deps.audit.record({
        userId: viewer.userId,
        userName: viewer.name,
        action: 'create',
        entity: 'callback',
        entityId: result.callback.id,
        details: { customerId: result.callback.customerId },
      });
    }
    res.status(result.created ? 201 : 200).json(result);
  });
  /** The agent takes an offered callback: the customer is dialed and connected to the agent. */
  router.post('/:id/accept', allow('accept', 'Callback'), async (req, res) => {
    const viewer = viewerOf(req);
    const id = String(req.params.id);
    const result = await deps.dialer.accept(id, viewer.userId);
    await deps.audit.record({
      userId: viewer.userId,
      userName: viewer.name,
      action: 'dial',
      entity: 'callback',
      entityId: id,
      callId: result.providerCallId,
    });
    res.json(result satisfies CallbackAccepted);
  });

  router.patch('/:id', allow('assign', 'Callback'), async (req, res) => {
    const viewer = viewerOf(req);
    const result = await deps.callbacks.reassign(String(req.params.id), req.body, viewer);
    await deps.audit.record({
      userId: viewer.userId,
      userName: viewer.name,
      action: 'reassign',
      entity: 'callback',
      entityId: result.callback.id,
      details: { assignedTo: result.callback.assignedTo },
    });
    res.json(result);
  });

  router.delete('/:id', async (req, res) => {
    const viewer = viewerOf(req);
    const result = await deps.callbacks.cancel(req.params.id ?? '', viewer);
    await deps.audit.record({
      userId: viewer.userId,
      userName: viewer.name,
      action: 'cancel',
      entity: 'callback',
      entityId: result.callback.id,
    });
    res.json(result);
  });
  return router;
}
