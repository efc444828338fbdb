import { Router } from 'express';
import { z } from 'zod';
import type { CustomerAnswer, CustomerSearchAnswer, NoteCreated, ScreenPop, TimelineAnswer } from '@ringside/shared';
import type { Models } from '../db/models';
import type { AuthService } from '../auth/auth.service';
import type { Clock } from '../clock';
import { requireAuth } from '../auth/auth.middleware';
import { notFound, parseOrThrow } from '../errors';
import { buildScreenPop } from '../screen-pop/screen-pop.service';
import type { CustomerService } from './customers.service';
import { toObjectId } from '../db/ids';
import type { AuditService } from '../audit/audit.service';
import { viewerOf } from '../auth/viewer';
import { callIdOf } from '../http/call-id';
import { timeline } from '../interactions/timeline';

const noteSchema = z.object({
  text: z.string().trim().min(1, { error: 'is required' }).max(10_000),
  callId: z.string().max(64).optional(),
});

export function customerRoutes(deps: {
  models: Models;
  auth: AuthService;
  clock: Clock;
  customers: CustomerService;
  audit: AuditService;
}): Router {
  const { models, customers, audit } = deps;
  const router = Router();
  router.use(requireAuth(deps.auth));

  router.get('/', async (req, res) => {
    const viewer = viewerOf(req);
    const result = await customers.search(req.query, viewer);
    await audit.record({
      userId: viewer.userId,
      userName: viewer.name,
      action: 'search',
      entity: 'customer',
      ...(callIdOf(req) ? { callId: callIdOf(req) } : {}),
      details: {
        query: { q: req.query.q, phone: req.query.phone, label: req.query.label },
        results: result.customers.map((c) => c.id),
      },
    });
    res.json(result satisfies CustomerSearchAnswer);
  });

  router.post('/', async (req, res) => {
    const viewer = viewerOf(req);
    const { customer, duplicates } = await customers.create(req.body, viewer);
    await audit.record({
      userId: viewer.userId,
      userName: viewer.name,
      action: 'create',
      entity: 'customer',
      entityId: customer.id,
      ...(callIdOf(req) ? { callId: callIdOf(req) } : {}),
    });
    res.status(201).json({
      customer,
      ...(duplicates.length
        ? { warnings: duplicates.map((d) => ({ message: `same phone or email as ${d.name}`, customer: d })) }
        : {}),
    } satisfies CustomerAnswer);
  });

  router.get('/:id', async (req, res) => {
    const viewer = viewerOf(req);
    const customer = await customers.get(req.params.id ?? '', viewer);
    await audit.record({
      userId: viewer.userId,
      userName: viewer.name,
      action: 'read',
      entity: 'customer',
      entityId: customer._id.toString(),
      ...(callIdOf(req) ? { callId: callIdOf(req) } : {}),
    });
    res.json({ customer: { ...customer, id: customer._id.toString() } });
  });

  router.patch('/:id', async (req, res) => {
    const viewer = viewerOf(req);
    const { customer, changed, duplicates } = await customers.update(req.params.id ?? '', req.body, viewer);
    await audit.record({
      userId: viewer.userId,
      userName: viewer.name,
      action: 'update',
      entity: 'customer',
      entityId: customer.id,
      ...(callIdOf(req) ? { callId: callIdOf(req) } : {}),
      details: { changed },
    });
    res.json({
      customer,
      ...(duplicates.length
        ? { warnings: duplicates.map((d) => ({ message: `same phone or email as ${d.name}`, customer: d })) }
        : {}),
    } satisfies CustomerAnswer);
  });

  /**
   * The same `ScreenPop` a call pushes: with `?callId=` the pop stored for that call, otherwise
   * built now (with the customer's latest call id, if any).
   */
  router.get('/:id/screen-pop', async (req, res) => {
    const viewer = viewerOf(req);
    const customer = await customers.get(req.params.id ?? '', viewer);
    const callId = typeof req.query.callId === 'string' ? req.query.callId : undefined;
    await audit.record({
      userId: viewer.userId,
      userName: viewer.name,
      action: 'read',
      entity: 'customer',
      entityId: customer._id.toString(),
      ...(callId ? { callId } : {}),
      details: { view: 'screen-pop' },
    });
    if (callId) {
      const call = await models.Call.findOne({ _id: callId, customerId: customer._id }, { pop: 1 }).lean();
      if (!call) throw notFound('call for this customer');
      return res.json(call.pop satisfies ScreenPop);
    }
    const lastCall = await models.Call.findOne(
      { customerId: customer._id },
      { _id: 1, from: 1, fromE164: 1, receivedAt: 1 },
    )
      .sort({ receivedAt: -1 })
      .lean();
    const now = deps.clock.now();
    const phone = customer.phones[0];
    res.json(
      (await buildScreenPop(models, {
        callId: lastCall?._id ?? '',
        receivedAt: lastCall?.receivedAt ?? now,
        caller: lastCall
          ? { raw: lastCall.from, e164: lastCall.fromE164 }
          : { raw: phone?.raw ?? '', e164: phone?.e164 ?? null },
        resolution: { match: 'unique', customers: [customer], customer },
        now,
      })) satisfies ScreenPop,
    );
  });

  router.get('/:id/timeline', async (req, res) => {
    const viewer = viewerOf(req);
    const customer = await customers.get(req.params.id ?? '', viewer);
    await audit.record({
      userId: viewer.userId,
      userName: viewer.name,
      action: 'read',
      entity: 'customer',
      entityId: customer._id.toString(),
      details: { view: 'timeline' },
    });
    res.json((await timeline(models, customer._id, req.query)) satisfies TimelineAnswer);
  });

  router.post('/:id/notes', async (req, res) => {
    const viewer = viewerOf(req);
    const customer = await customers.get(req.params.id ?? '', viewer);
    const body = parseOrThrow(noteSchema, req.body, 'note');
    const note = await models.Interaction.create({
      customerId: customer._id,
      type: 'note',
      at: deps.clock.now(),
      agentId: toObjectId(viewer.userId),
      agentName: viewer.name,
      summary: body.text,
      ...(body.callId ? { callId: body.callId } : {}),
    });
    await audit.record({
      userId: viewer.userId,
      userName: viewer.name,
      action: 'note',
      entity: 'customer',
      entityId: customer._id.toString(),
      ...(body.callId ? { callId: body.callId } : {}),
    });
    res
      .status(201)
      .json({ note: { id: note._id.toString(), at: note.at.toISOString(), text: note.summary } } satisfies NoteCreated);
  });
  return router;
}
