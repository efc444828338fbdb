import { Router } from 'express';
import { Types, type QueryFilter } from 'mongoose';
import { z } from 'zod';
import { objectIdSchema, type CaseAnswer, type CaseList, type CaseView } from '@ringside/shared';
import type { Models } from '../db/models';
import type { AuthService } from '../auth/auth.service';
import type { Clock } from '../clock';
import { requireAuth } from '../auth/auth.middleware';
import { forbidden, notFound, parseOrThrow } from '../errors';
import type { CustomerService } from '../customers/customers.service';
import { toObjectId } from '../db/ids';
import type { AuditService } from '../audit/audit.service';
import { viewerOf } from '../auth/viewer';
import type { Case } from '../db/schemas/case.model';

const id = objectIdSchema;
const createSchema = z.object({
  customerId: id,
  subject: z.string().trim().min(1, { error: 'is required' }).max(300),
  kind: z.enum(['service', 'dispute']).default('service'),
  priority: z.enum(['low', 'normal', 'high', 'urgent']).default('normal'),
  ownerId: id.optional(),
  callId: z.string().max(64).optional(),
  note: z.string().trim().max(10_000).optional(),
});
const patchSchema = z
  .object({
    status: z.enum(['open', 'pending', 'closed']),
    priority: z.enum(['low', 'normal', 'high', 'urgent']),
    ownerId: id,
    callId: z.string().max(64),
  })
  .partial()
  .refine((v) => Object.keys(v).length > 0, { error: 'nothing to change' });
const listSchema = z.object({
  status: z.enum(['open', 'pending', 'closed']).optional(),
  kind: z.enum(['service', 'legal', 'dispute']).optional(),
  customerId: id.optional(),
  mine: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const noteSchema = z.object({ text: z.string().trim().min(1, { error: 'is required' }).max(10_000) });

const view = (c: Case) =>
  ({
    id: c._id.toString(),
    number: c.number,
    customerId: c.customerId.toString(),
    kind: c.kind,
    subject: c.subject,
    status: c.status,
    priority: c.priority,
    ownerId: c.ownerId?.toString(),
    openedAt: c.openedAt.toISOString(),
    closedAt: c.closedAt?.toISOString(),
    callIds: c.callIds,
    notes: c.notes.map((n) => ({ at: n.at.toISOString(), authorName: n.authorName, text: n.text })),
  }) satisfies CaseView;

/** Service cases (tickets) with notes and linked calls; legal referrals are for the legal role. */
export function caseRoutes(deps: {
  models: Models;
  auth: AuthService;
  clock: Clock;
  customers: CustomerService;
  audit: AuditService;
}): Router {
  const { models, customers, audit, clock } = deps;
  const router = Router();
  router.use(requireAuth(deps.auth));

  /** Legal sees legal cases only; everyone else sees cases of customers they may see. */
  async function load(caseId: string, req: Parameters<typeof viewerOf>[0]) {
    const viewer = viewerOf(req);
    const found = await models.Case.findById(toObjectId(caseId, 'case id')).lean();
    if (!found) throw notFound('case');
    const isLegalOnly = viewer.roles.every((r) => r === 'legal');
    if (isLegalOnly && found.kind !== 'legal') throw forbidden('legal sees legal cases only');
    if (!isLegalOnly) {
      const customer = await models.Customer.findById(found.customerId, { ownerId: 1 }).lean();
      if (customer) await customers.assertCanSee(viewer, customer);
    }
    return { viewer, found };
  }

  router.get('/', async (req, res) => {
    const viewer = viewerOf(req);
    const q = parseOrThrow(listSchema, req.query, 'case query');
    const filter: QueryFilter<Case> = {};
    if (q.status) filter.status = q.status;
    if (q.kind) filter.kind = q.kind;
    if (viewer.roles.every((r) => r === 'legal')) filter.kind = 'legal';
    if (q.customerId) {
      const customer = await models.Customer.findById(q.customerId, { ownerId: 1 }).lean();
      if (!customer) throw notFound('customer');
      if (!viewer.roles.includes('legal')) await customers.assertCanSee(viewer, customer);
      filter.customerId = new Types.ObjectId(q.customerId);
    } else if (q.mine === 'true' || viewer.roles.every((r) => r === 'agent')) {
      filter.ownerId = new Types.ObjectId(viewer.userId);
    }
    const found = await models.Case.find(filter).sort({ openedAt: -1 }).limit(q.limit).lean();
    res.json({ cases: found.map(view) } satisfies CaseList);
  });

  router.post('/', async (req, res) => {
    const viewer = viewerOf(req);
    const body = parseOrThrow(createSchema, req.body, 'case');
    const customer = await customers.get(body.customerId, viewer);
    const now = clock.now();
    const created = await models.Case.create({
      customerId: customer._id,
      number: `C-${now.toISOString().slice(0, 10).replace(/-/g, '')}-${new Types.ObjectId().toString().slice(-6).toUpperCase()}`,
      kind: body.kind,
      subject: body.subject,
      priority: body.priority,
      ownerId: new Types.ObjectId(body.ownerId ?? viewer.userId),
      openedAt: now,
      callIds: body.callId ? [body.callId] : [],
      notes: body.note
        ? [{ at: now, authorId: new Types.ObjectId(viewer.userId), authorName: viewer.name, text: body.note }]
        : [],
    });
    await audit.record({
      userId: viewer.userId,
      userName: viewer.name,
      action: 'create',
      entity: 'case',
      entityId: created._id.toString(),
      ...(body.callId ? { callId: body.callId } : {}),
      details: { customerId: body.customerId },
    });
    res.status(201).json({ case: view(created.toObject()) } satisfies CaseAnswer);
  });

  router.get('/:id', async (req, res) => {
    const { viewer, found } = await load(req.params.id ?? '', req);
    await audit.record({
      userId: viewer.userId,
      userName: viewer.name,
      action: 'read',
      entity: 'case',
      entityId: found._id.toString(),
    });
    res.json({ case: view(found) } satisfies CaseAnswer);
  });

  router.patch('/:id', async (req, res) => {
    const { viewer, found } = await load(req.params.id ?? '', req);
    const body = parseOrThrow(patchSchema, req.body, 'case change');
    const set: Record<string, unknown> = {};
    if (body.status) {
      set.status = body.status;
      if (body.status === 'closed') set.closedAt = clock.now();
    }
    if (body.priority) set.priority = body.priority;
    if (body.ownerId) set.ownerId = new Types.ObjectId(body.ownerId);
    const updated = await models.Case.findByIdAndUpdate(
      found._id,
      { $set: set, ...(body.callId ? { $addToSet: { callIds: body.callId } } : {}) },
      { returnDocument: 'after' },
    ).lean();
    if (!updated) throw notFound('case');
    await audit.record({
      userId: viewer.userId,
      userName: viewer.name,
      action: 'update',
      entity: 'case',
      entityId: found._id.toString(),
      details: { changed: Object.keys(body) },
    });
    res.json({ case: view(updated) } satisfies CaseAnswer);
  });

  router.post('/:id/notes', async (req, res) => {
    const { viewer, found } = await load(req.params.id ?? '', req);
    const body = parseOrThrow(noteSchema, req.body, 'note');
    const updated = await models.Case.findByIdAndUpdate(
      found._id,
      {
        $push: {
          notes: {
            at: clock.now(),
            authorId: new Types.ObjectId(viewer.userId),
            authorName: viewer.name,
            text: body.text,
          },
        },
      },
      { returnDocument: 'after' },
    ).lean();
    if (!updated) throw notFound('case');
    await audit.record({
      userId: viewer.userId,
      userName: viewer.name,
      action: 'note',
      entity: 'case',
      entityId: found._id.toString(),
    });
    res.status(201).json({ case: view(updated) } satisfies CaseAnswer);
  });
  return router;
}
