import { Router } from 'express';
import { Types, type QueryFilter } from 'mongoose';
import { z } from 'zod';
import { objectIdSchema } from '@ringside/shared';
import type { Models } from '../db/models';
import type { AuthService } from '../auth/auth.service';
import type { Clock } from '../clock';
import { requireAuth } from '../auth/auth.middleware';
import { notFound, parseOrThrow } from '../errors';
import { authorize, subjects } from '../auth/policy';
import type { CustomerService } from '../customers/customers.service';
import { toObjectId } from '../db/ids';
import { viewerOf } from '../auth/viewer';
import type { Task } from '../db/schemas/task.model';

const id = objectIdSchema;
const createSchema = z.object({
  title: z.string().trim().min(1, { error: 'is required' }).max(300),
  dueAt: z.iso.datetime({ offset: true, error: 'must be an ISO date-time with an offset' }),
  assigneeId: id.optional(),
  customerId: id.optional(),
  caseId: id.optional(),
});
const patchSchema = z
  .object({
    title: z.string().trim().min(1).max(300),
    dueAt: z.iso.datetime({ offset: true }),
    status: z.enum(['open', 'done']),
    assigneeId: id,
  })
  .partial()
  .refine((v) => Object.keys(v).length > 0, { error: 'nothing to change' });
const listSchema = z.object({
  status: z.enum(['open', 'done']).default('open'),
  assigneeId: id.optional(),
  customerId: id.optional(),
  dueBefore: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const view = (t: Task) => ({
  id: t._id.toString(),
  title: t.title,
  dueAt: t.dueAt.toISOString(),
  status: t.status,
  assigneeId: t.assigneeId.toString(),
  customerId: t.customerId?.toString(),
  caseId: t.caseId?.toString(),
  doneAt: t.doneAt?.toISOString(),
});

/** Tasks with due dates: an agent sees its own; supervisors assign and see anyone's. */
export function taskRoutes(deps: {
  models: Models;
  auth: AuthService;
  clock: Clock;
  customers: CustomerService;
}): Router {
  const { models, clock } = deps;
  const router = Router();
  router.use(requireAuth(deps.auth));

  router.get('/', async (req, res) => {
    const viewer = viewerOf(req);
    const q = parseOrThrow(listSchema, req.query, 'task query');
    const assignee = q.assigneeId ?? viewer.userId;
    authorize(await deps.customers.abilityFor(viewer), 'read', subjects.task({ assigneeId: assignee }));
    const filter: QueryFilter<Task> = { assigneeId: new Types.ObjectId(assignee), status: q.status };
    if (q.dueBefore) filter.dueAt = { $lt: new Date(q.dueBefore) };
    if (q.customerId) filter.customerId = new Types.ObjectId(q.customerId);
    const tasks = await models.Task.find(filter).sort({ dueAt: 1 }).limit(q.limit).lean();
    res.json({ tasks: tasks.map(view) });
  });

  router.post('/', async (req, res) => {
    const viewer = viewerOf(req);
    const body = parseOrThrow(createSchema, req.body, 'task');
    const ability = await deps.customers.abilityFor(viewer);
    authorize(ability, 'create', subjects.task({ assigneeId: body.assigneeId ?? viewer.userId }));
    // A task about a customer or a case is for those who may read it.
    if (body.customerId) await deps.customers.get(body.customerId, viewer);
    if (body.caseId) {
      const found = await models.Case.findById(toObjectId(body.caseId, 'caseId'), { kind: 1, customerId: 1 }).lean();
      if (!found) throw notFound('case');
      const customer = await models.Customer.findById(found.customerId, { ownerId: 1 }).lean();
      authorize(ability, 'read', subjects.case(found, customer));
    }
    const created = await models.Task.create({
      title: body.title,
      dueAt: new Date(body.dueAt),
      assigneeId: new Types.ObjectId(body.assigneeId ?? viewer.userId),
      createdBy: new Types.ObjectId(viewer.userId),
      ...(body.customerId ? { customerId: new Types.ObjectId(body.customerId) } : {}),
      ...(body.caseId ? { caseId: new Types.ObjectId(body.caseId) } : {}),
    });
    res.status(201).json({ task: view(created.toObject()) });
  });

  router.patch('/:id', async (req, res) => {
    const viewer = viewerOf(req);
    const body = parseOrThrow(patchSchema, req.body, 'task change');
    const task = await models.Task.findById(toObjectId(req.params.id ?? '', 'task id')).lean();
    if (!task) throw notFound('task');
    const ability = await deps.customers.abilityFor(viewer);
    authorize(ability, 'update', subjects.task(task));
    if (body.assigneeId && !task.assigneeId.equals(body.assigneeId))
      authorize(ability, 'assign', subjects.task(task), 'only supervisors assign tasks to others');
    const set: Record<string, unknown> = {};
    if (body.title) set.title = body.title;
    if (body.dueAt) set.dueAt = new Date(body.dueAt);
    if (body.assigneeId) set.assigneeId = new Types.ObjectId(body.assigneeId);
    if (body.status)
      Object.assign(set, { status: body.status, ...(body.status === 'done' ? { doneAt: clock.now() } : {}) });
    const updated = await models.Task.findByIdAndUpdate(task._id, { $set: set }, { returnDocument: 'after' }).lean();
    if (!updated) throw notFound('task');
    res.json({ task: view(updated) });
  });
  return router;
}
