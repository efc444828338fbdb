import { Router } from 'express';
import { Types } from 'mongoose';
import type { Models } from '../db/models';
import type { AuthService } from '../auth/auth.service';
import type { Clock } from '../clock';
import { requireAuth } from '../auth/auth.middleware';
import { badRequest, notFound } from '../errors';
import { buildScreenPop } from '../screen-pop/screen-pop.service';
import type { CustomerDoc } from '../calls/caller-resolution';

function objectId(raw: string): Types.ObjectId {
  if (!Types.ObjectId.isValid(raw) || !/^[0-9a-f]{24}$/i.test(raw)) throw badRequest('id is not a valid customer id');
  return new Types.ObjectId(raw);
}

export function customerRoutes(deps: { models: Models; auth: AuthService; clock: Clock }): Router {
  const router = Router();
  router.use(requireAuth(deps.auth));

  /**
   * The same `ScreenPop` a call pushes: with `?callId=` the pop stored for that call, otherwise
   * built now (with the customer's latest call id, if any).
   */
  router.get('/:id/screen-pop', async (req, res) => {
    const id = objectId(req.params.id ?? '');
    const callId = typeof req.query.callId === 'string' ? req.query.callId : undefined;
    if (callId) {
      const call = await deps.models.Call.findOne({ _id: callId, customerId: id }, { pop: 1 }).lean();
      if (!call) throw notFound('call for this customer');
      return res.json(call.pop);
    }
    const [customer, lastCall] = await Promise.all([
      deps.models.Customer.findById(id, { nameKeys: 0 }).lean<CustomerDoc>(),
      deps.models.Call.findOne({ customerId: id }, { _id: 1, from: 1, fromE164: 1, receivedAt: 1 }).sort({ receivedAt: -1 }).lean(),
    ]);
    if (!customer) throw notFound('customer');
    const now = deps.clock.now();
    const phone = customer.phones[0];
    const pop = await buildScreenPop(deps.models, {
      callId: lastCall?._id ?? '',
      receivedAt: lastCall?.receivedAt ?? now,
      caller: lastCall ? { raw: lastCall.from, e164: lastCall.fromE164 } : { raw: phone?.raw ?? '', e164: phone?.e164 ?? null },
      resolution: { match: 'unique', customers: [customer], customer },
      now,
    });
    res.json(pop);
  });
  return router;
}
