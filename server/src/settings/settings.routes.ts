import { Router } from 'express';
import { z } from 'zod';
import { isSupportedCountry } from 'libphonenumber-js';
import type { Models } from '../db/models';
import { upsertWrite } from '../db/upsert';
import type { AuthService } from '../auth/auth.service';
import { requireAuth } from '../auth/auth.middleware';
import { allow } from '../auth/policy';
import { parseOrThrow } from '../errors';
import type { AuditService } from '../audit/audit.service';
import { viewerOf } from '../auth/viewer';
import type { CustomerService } from '../customers/customers.service';

const patchSchema = z
  .object({
    restrictToPortfolio: z.boolean(),
    defaultCountry: z
      .string()
      .toUpperCase()
      .refine((c) => isSupportedCountry(c), { error: 'must be an ISO country code' }),
  })
  .partial();

/** Company settings: read by anyone signed in, changed by admins (audited). */
export function settingsRoutes(deps: {
  models: Models;
  auth: AuthService;
  audit: AuditService;
  customers: Pick<CustomerService, 'settingsChanged'>;
}): Router {
  const router = Router();
  router.use(requireAuth(deps.auth));
  const read = async () => {
    const s = await deps.models.Settings.findById('company').lean();
    return { restrictToPortfolio: s?.restrictToPortfolio ?? false, defaultCountry: s?.defaultCountry ?? 'PL' };
  };
  router.get('/', allow('read', 'Settings'), async (_req, res) => {
    res.json({ settings: await read() });
  });
  router.patch('/', allow('update', 'Settings'), async (req, res) => {
    const body = parseOrThrow(patchSchema, req.body, 'settings');
    await upsertWrite(() => deps.models.Settings.updateOne({ _id: 'company' }, { $set: body }, { upsert: true }));
    deps.customers.settingsChanged();
    const viewer = viewerOf(req);
    await deps.audit.record({
      userId: viewer.userId,
      userName: viewer.name,
      action: 'update',
      entity: 'settings',
      entityId: 'company',
      details: body,
    });
    res.json({ settings: await read() });
  });
  return router;
}
