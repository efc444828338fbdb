import { Router } from 'express';
import { Types, type QueryFilter } from 'mongoose';
import { z } from 'zod';
import { objectIdSchema, type CaseAnswer, type CaseList, type CaseView } from '@ringside/shared';
import type { Models } from '../db/models';
import type { AuthService } from '../auth/auth.service';
import type { Clock } from '../clock';
import { requireAuth } from '../auth/auth.middleware';
import { forbidden, notFound, parseOrThrow } from '../errors';
import { authorize, narrow, refusal, scopeOf, subjects, type Action, type Filter } from '../auth/policy';
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

  /** One case, for those who may do `action` on it (legal: legal cases; agents: their portfolio's). */
  async function load(caseId: string, req: Parameters<typeof viewerOf>[0], action: Action) {
    const viewer = viewerOf(req);
    const found = await models.Case.findById(toObjectId(caseId, 'case id')).lean();
    if (!found) throw notFound('case');
    const customer = await models.Customer.findById(found.customerId, { ownerId: 1 }).lean();
    const ability = await customers.abilityFor(viewer);
    authorize(ability, action, subjects.case(found, customer));
    return { viewer, found, customer, ability };
  }

  /**
   * A customer's cases (those of them the viewer may read), or, without a customer, the cases the
   * viewer may list (its own; legal's; a supervisor's: all), newest first.
   */
  router.get('/', async (req, res) => {
    const viewer = viewerOf(req);
    const q = parseOrThrow(listSchema, req.query, 'case query');
    const ability = await customers.abilityFor(viewer);
    const filter: QueryFilter<Case> = {};
    if (q.status) filter.status = q.status;
    if (q.kind) filter.kind = q.kind;
    let scope: Filter[];
    if (q.customerId) {
      const customer = await models.Customer.findById(q.customerId, { ownerId: 1 }).lean();
      if (!customer) throw notFound('customer');
      scope = scopeOf(ability, 'read', 'Case', { customer: subjects.owner(customer) });
      if (!scope.length) throw forbidden(refusal(ability, 'read', 'Case'));
      filter.customerId = new Types.ObjectId(q.customerId);
    } else {
      scope = scopeOf(ability, 'list', 'Case');
      if (q.mine === 'true') filter.ownerId = new Types.ObjectId(viewer.userId);
    }
    // One query per branch of the scope (an `$or` would read every case), merged here.
    const found = await Promise.all(
      narrow(filter, scope).map((f) =>
        models.Case.find(f as QueryFilter<Case>)
          .sort({ openedAt: -1 })
          .limit(q.limit)
          .lean(),
      ),
    );
    const merged = [...new Map(found.flat().map((c) => [c._id.toString(), c])).values()]
      .sort((a, b) => b.openedAt.getTime() - a.openedAt.getTime())
      .slice(0, q.limit);
    res.json({ cases: merged.map(view) } satisfies CaseList);
  });

  router.post('/', async (req, res) => {
    const viewer = viewerOf(req);
    const body = parseOrThrow(createSchema, req.body, 'case');
    const customer = await customers.get(body.customerId, viewer);
    const ownerId = body.ownerId ?? viewer.userId;
    authorize(await customers.abilityFor(viewer), 'create', subjects.case({ kind: body.kind, ownerId }, customer));
    const now = clock.now();
    const created = await models.Case.create({
      customerId: customer._id,
      number: `C-${now.toISOString().slice(0, 10).replace(/-/g, '')}-${new Types.ObjectId().toString().slice(-6).toUpperCase()}`,
      kind: body.kind,
      subject: body.subject,
      priority: body.priority,
      ownerId: new Types.ObjectId(ownerId),
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
    const { viewer, found } = await load(req.params.id ?? '', req, 'read');
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
    const { viewer, found, customer, ability } = await load(req.params.id ?? '', req, 'update');
    const body = parseOrThrow(patchSchema, req.body, 'case change');
    if (body.ownerId && !found.ownerId?.equals(body.ownerId))
      authorize(ability, 'assign', subjects.case(found, customer), 'only supervisors reassign cases');
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
    const { viewer, found } = await load(req.params.id ?? '', req, 'note');
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
