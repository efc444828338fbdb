import { Router } from 'express';
import { z } from 'zod';
import { normalizePhone, objectIdOf, type CountryCode } from '@ringside/shared';
import type { AuthService } from '../auth/auth.service';
import { requireAuth } from '../auth/auth.middleware';
import { allow, authorize, subjects } from '../auth/policy';
import type { CustomerService } from '../customers/customers.service';
import type { CallbackDialer } from '../callbacks/callback-dialer';
import type { AuditService } from '../audit/audit.service';
import { badRequest, parseOrThrow } from '../errors';
import { viewerOf } from '../auth/viewer';

const outboundSchema = z.object({
  customerId: objectIdOf('a customer id'),
  phone: z.string().trim().min(3).max(40).optional(),
});

/** `POST /api/calls/outbound`: click-to-dial from the console. */
export function callRoutes(deps: {
  auth: AuthService;
  customers: CustomerService;
  dialer: CallbackDialer;
  audit: AuditService;
  defaultCountry: string;
}): Router {
  const router = Router();
  router.post('/outbound', requireAuth(deps.auth), allow('dial', 'Customer'), async (req, res) => {
    const viewer = viewerOf(req);
    const body = parseOrThrow(outboundSchema, req.body, 'outbound call');
    const customer = await deps.customers.get(body.customerId, viewer);
    authorize(await deps.customers.abilityFor(viewer), 'dial', subjects.customer(customer));
    const raw = body.phone ?? customer.phones.find((p) => !p.wrongNumber)?.raw;
    if (!raw) throw badRequest('the customer has no phone number; give phone');
    const phone = normalizePhone(raw, (customer.country || deps.defaultCountry) as CountryCode);
    if (!phone) throw badRequest(`"${raw}" is not a phone number`);
    const result = await deps.dialer.dialForAgent(viewer.userId, customer, phone.e164);
    await deps.audit.record({
      userId: viewer.userId,
      userName: viewer.name,
      action: 'dial',
      entity: 'customer',
      entityId: customer._id.toString(),
      callId: result.providerCallId,
      details: { phone: phone.e164 },
    });
    res.status(201).json({ callId: result.providerCallId, to: phone.e164 });
  });
  return router;
}
