import { Types, type QueryFilter } from 'mongoose';
import { z } from 'zod';
import {
  callbackScheduleSchema,
  callbackStatusSchema,
  foldLatin,
  normalizePhone,
  objectIdOf,
  type CallbackAnswer,
  type CallbackAssigned,
  type CallbackListAnswer,
  type CallbackScheduled,
  type CallbackView,
  type CountryCode,
} from '@ringside/shared';
import type { Models } from '../db/models';
import type { Clock } from '../clock';
import type { Realtime } from '../realtime/gateway';
import type { Callback } from '../db/schemas/callback.model';
import { nextCallable } from './calling-hours';
import { badRequest, notFound, parseOrThrow } from '../errors';
import { authorize, narrow, scopeOf, strictAbilityFor, subjects } from '../auth/policy';
import type { CustomerService } from '../customers/customers.service';
import type { Viewer } from '../auth/viewer';
import { toObjectId } from '../db/ids';
import { upsertOne } from '../db/upsert';

/** Callbacks for the same customer and reason within this window are one callback. */
const WINDOW_MS = 30 * 60_000;

export interface ScheduleForInput {
  customer: { _id: Types.ObjectId; timeZone: string };
  /** E.164. */
  phone: string;
  queue: string;
  reason: string;
  source: Callback['source'];
  /** Requested time; moved into the customer's calling hours. */
  dueAt: Date;
  personal?: boolean;
  requestedBy?: Types.ObjectId;
  /** Defaults to customer + reason + half-hour window. */
  naturalKey?: string;
  /** `holding`: waits for its place in a queue (virtual hold) instead of a time. */
  status?: 'scheduled' | 'holding';
  dunningCaseId?: Types.ObjectId;
  /** The inbound call a virtual-hold callback replaces. */
  callId?: string;
}

export const callbackListSchema = z.object({
  status: callbackStatusSchema.optional(),
  mine: z.enum(['true', 'false']).default('true'),
  customerId: objectIdOf('a customer id').optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export function callbackView(c: Callback) {
  return {
    id: c._id.toString(),
    customerId: c.customerId.toString(),
    phone: c.phone,
    queue: c.queue,
    reason: c.reason,
    source: c.source,
    dueAt: c.dueAt.toISOString(),
    requestedDueAt: c.requestedDueAt?.toISOString(),
    personal: c.personal,
    requestedBy: c.requestedBy?.toString(),
    assignedTo: c.assignedTo?.toString(),
    status: c.status,
    attempts: c.attempts.map((a) => ({ at: a.at.toISOString(), outcome: a.outcome })),
  } satisfies CallbackView;
}

/**
 * Scheduling callbacks: one per customer, reason and half-hour window (a unique natural key,
 * so a retried request never makes a second one), only inside the customer's calling hours.
 */
export class CallbackService {
  constructor(
    private readonly deps: {
      models: Models;
      clock: Clock;
      /** Reads a customer for a viewer, asking the policy (a customer's callbacks go with it). */
      customers: Pick<CustomerService, 'get'>;
      realtime?: Realtime;
      defaultCountry: string;
    },
  ) {}

  async schedule(input: unknown, viewer: Viewer, source: Callback['source'] = 'agent') {
    const body = parseOrThrow(callbackScheduleSchema, input, 'callback');
    // Who may read the customer may schedule its callbacks (policy.test.ts holds the two rules equal).
    const customer = await this.deps.customers.get(body.customerId, viewer);
    const requested = new Date(body.dueAt);
    if (requested.getTime() < this.deps.clock.now().getTime() - 60_000) throw badRequest('dueAt is in the past');
    const raw = body.phone ?? customer.phones.find((p) => !p.wrongNumber)?.raw;
    if (!raw) throw badRequest('the customer has no phone number to call; give phone');
    const phone = normalizePhone(raw, (customer.country || this.deps.defaultCountry) as CountryCode);
    if (!phone) throw badRequest(`"${raw}" is not a phone number`);
    const result = await this.scheduleFor({
      customer,
      phone: phone.e164,
      queue: body.queue ?? 'support',
      reason: body.reason,
      source,
      dueAt: requested,
      personal: body.personal,
      requestedBy: new Types.ObjectId(viewer.userId),
    });
    return {
      callback: callbackView(result.callback),
      created: result.created,
      postponed: result.postponed,
    } satisfies CallbackScheduled;
  }

  /**
   * Schedules a callback for the system (virtual hold, dunning) or on an agent's behalf, after
   * the caller's checks: moved into the customer's calling hours, one per natural key (customer
   * + reason + half-hour window, or the key given), whoever asks and however often.
   */
  async scheduleFor(input: ScheduleForInput): Promise<{ callback: Callback; created: boolean; postponed: boolean }> {
    const { customer } = input;
    const dueAt = nextCallable(input.dueAt, customer.timeZone);
    const window = new Date(Math.floor(dueAt.getTime() / WINDOW_MS) * WINDOW_MS);
    const naturalKey =
      input.naturalKey ?? `${customer._id.toString()}|${foldLatin(input.reason)}|${window.toISOString()}`;
    const personal = input.personal ?? false;
    // Concurrent identical requests: one inserts, the others get the same callback (upsertOne).
    const { doc: callback, created } = await upsertOne(
      this.deps.models.Callback,
      { naturalKey },
      {
        $setOnInsert: {
          customerId: customer._id,
          phone: input.phone,
          queue: input.queue,
          reason: input.reason,
          source: input.source,
          naturalKey,
          dueAt,
          requestedDueAt: input.dueAt,
          windowEnd: new Date(window.getTime() + WINDOW_MS),
          personal,
          ...(input.requestedBy ? { requestedBy: input.requestedBy } : {}),
          ...(personal && input.requestedBy ? { assignedTo: input.requestedBy } : {}),
          status: input.status ?? 'scheduled',
          attempts: [],
          ...(input.dunningCaseId ? { dunningCaseId: input.dunningCaseId } : {}),
          ...(input.callId ? { callId: input.callId } : {}),
        },
      },
    );
    if (created && callback.assignedTo && callback.status === 'scheduled' && this.deps.realtime) {
      const event: CallbackAssigned = {
        callbackId: callback._id.toString(),
        customerId: callback.customerId.toString(),
        dueAt: callback.dueAt.toISOString(),
        reason: callback.reason,
      };
      this.deps.realtime.toUser(callback.assignedTo.toString()).emit('callback:assigned', event);
    }
    return { callback, created, postponed: dueAt.getTime() !== input.dueAt.getTime() };
  }

  async list(input: unknown, viewer: Viewer) {
    const q = parseOrThrow(callbackListSchema, input, 'callback query');
    const filter: QueryFilter<Callback> = {};
    if (q.status) filter.status = q.status;
    // A customer's callbacks: for whoever may read the customer (the same rule). Otherwise the
    // viewer's own, or (mine=false) all it may list: a rule that does not depend on the settings.
    let scope = [{}];
    if (q.customerId) {
      await this.deps.customers.get(q.customerId, viewer);
      filter.customerId = new Types.ObjectId(q.customerId);
    } else {
      scope =
        q.mine === 'true' ? [{ assignedTo: viewer.userId }] : scopeOf(strictAbilityFor(viewer), 'list', 'Callback');
    }
    // One query per branch of the scope (an `$or` would read every callback), merged here.
    const found = (
      await Promise.all(
        narrow(filter, scope).map((f) =>
          this.deps.models.Callback.find(f as QueryFilter<Callback>)
            .sort({ dueAt: 1 })
            .limit(q.limit)
            .lean(),
        ),
      )
    )
      .flat()
      .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())
      .slice(0, q.limit);
    const names = new Map(
      (
        await this.deps.models.Customer.find(
          { _id: { $in: [...new Set(found.map((c) => c.customerId.toString()))] } },
          { name: 1 },
        ).lean()
      ).map((c) => [c._id.toString(), c.name]),
    );
    return {
      callbacks: found.map((c) => ({ ...callbackView(c), customerName: names.get(c.customerId.toString()) ?? '' })),
    } satisfies CallbackListAnswer;
  }

  /** A supervisor gives a waiting callback to another agent (it becomes that agent's). */
  async reassign(id: string, input: unknown, viewer: Viewer) {
    const body = parseOrThrow(z.object({ assignedTo: objectIdOf('an agent id') }), input, 'reassignment');
    authorize(strictAbilityFor(viewer), 'assign', 'Callback', 'only supervisors reassign callbacks');
    const agent = await this.deps.models.User.findOne(
      { _id: body.assignedTo, roles: 'agent', active: true },
      { name: 1 },
    ).lean();
    if (!agent) throw notFound('agent');
    const updated = await this.deps.models.Callback.findOneAndUpdate(
      { _id: toObjectId(id, 'callback id'), status: { $in: ['scheduled', 'offered'] } },
      {
        $set: { assignedTo: agent._id, personal: true, ...(await this.offeredStage(id)) },
        $push: { attempts: { at: this.deps.clock.now(), outcome: `reassigned to ${agent.name} by ${viewer.name}` } },
      },
      { returnDocument: 'after' },
    ).lean();
    if (!updated) throw badRequest('only a scheduled or offered callback can be reassigned');
    const event: CallbackAssigned = {
      callbackId: updated._id.toString(),
      customerId: updated.customerId.toString(),
      dueAt: updated.dueAt.toISOString(),
      reason: updated.reason,
    };
    this.deps.realtime?.toUser(agent._id.toString()).emit('callback:assigned', event);
    return { callback: callbackView(updated) } satisfies CallbackAnswer;
  }

  /** An offered callback given to one agent is offered to that agent only. */
  private async offeredStage(id: string): Promise<Record<string, string>> {
    const current = await this.deps.models.Callback.findById(toObjectId(id, 'callback id'), { status: 1 }).lean();
    return current?.status === 'offered' ? { offerStage: 'agent' } : {};
  }

  async cancel(id: string, viewer: Viewer) {
    const found = await this.deps.models.Callback.findById(toObjectId(id, 'callback id')).lean();
    if (!found) throw notFound('callback');
    authorize(strictAbilityFor(viewer), 'cancel', subjects.callback(found));
    const updated = await this.deps.models.Callback.findOneAndUpdate(
      { _id: found._id, status: { $in: ['holding', 'scheduled', 'offered'] } },
      {
        $set: { status: 'cancelled' },
        $push: { attempts: { at: this.deps.clock.now(), outcome: `cancelled by ${viewer.name}` } },
      },
      { returnDocument: 'after' },
    ).lean();
    if (!updated) throw badRequest(`the callback is ${found.status} and can no longer be cancelled`);
    return { callback: callbackView(updated) } satisfies CallbackAnswer;
  }
}
