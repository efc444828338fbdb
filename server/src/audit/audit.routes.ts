import { Router } from 'express';
import type { AuthService } from '../auth/auth.service';
import { requireAuth } from '../auth/auth.middleware';
import { allow } from '../auth/policy';
import type { AuditService } from './audit.service';

/** `GET /api/audit` (admins): who read or changed what, newest first. */
export function auditRoutes(deps: { auth: AuthService; audit: AuditService }): Router {
  const router = Router();
  router.get('/', requireAuth(deps.auth), allow('read', 'AuditLog'), async (req, res) => {
    res.json(await deps.audit.list(req.query));
  });
  return router;
}
