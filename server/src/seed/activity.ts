// What was said and done with a customer: calls with dispositions, notes, e-mails, the SMS and
// letters of collections, and service cases (a few open, some closed).
import type { Types } from 'mongoose';
import type { Case } from '../db/schemas/case.model';
import type { Interaction } from '../db/schemas/interaction.model';
import { DAY_MS, localHourToUtc, startOfUtcDay, type SeedAgent, type SeedContext } from './context';
import type { CustomerDraft } from './customers';
import type { History } from './history';
import { catalogItem } from './catalog';
import { documentNumber, seededObjectId } from './ids';
import { Rng, Stream } from './random';

export interface Activity {
  interactions: Interaction[];
  cases: Case[];
  lastAt?: number;
}

type Disposition = NonNullable<Interaction['disposition']>;

function money(amount: number, currency: string): string {
  return `${amount.toFixed(currency === 'HUF' ? 0 : 2)} ${currency}`;
}

class Timeline {
  readonly interactions: Interaction[] = [];
  constructor(
    private readonly ctx: SeedContext,
    private readonly rng: Rng,
    private readonly draft: CustomerDraft,
  ) {}

  /** An agent for an interaction: the account owner most of the time, else anyone. */
  agent(): SeedAgent | undefined {
    const { agents } = this.ctx;
    if (agents.length === 0) return undefined;
    const owner = this.draft.ownerId ? agents.find((a) => a._id.equals(this.draft.ownerId)) : undefined;
    return owner && this.rng.chance(0.7) ? owner : this.rng.pick(agents);
  }

  /** During local office hours on the day of `at`, never after now. */
  officeHours(at: number): number {
    const day = startOfUtcDay(Math.min(at, this.ctx.now));
    const t = localHourToUtc(day, this.rng.int(8, 17), this.draft.profile.timeZone, this.rng.int(0, 59));
    return Math.min(t, this.ctx.now);
  }

  add(
    entry: Omit<Interaction, '_id' | 'customerId' | 'agentId' | 'agentName' | 'at'> & { at: number; agent?: SeedAgent },
  ): Interaction {
    const index = this.ctx.counters.interactions++;
    const { agent, at, ...rest } = entry;
    const interaction: Interaction = {
      _id: seededObjectId(this.ctx.seed, 'interactions', index),
      customerId: this.draft._id,
      ...rest,
      at: new Date(this.officeHours(at)),
      ...(agent ? { agentId: agent._id, agentName: agent.name } : {}),
    };
    this.interactions.push(interaction);
    return interaction;
  }

  call(
    direction: 'inbound' | 'outbound',
    at: number,
    summary: string,
    disposition: Disposition,
    extra: { caseId?: Types.ObjectId } = {},
  ): Interaction {
    const durationSec =
      disposition === 'no_answer' ? this.rng.int(15, 40) : Math.round(Math.exp(this.rng.normal(5.2, 0.6)));
    const agent = this.agent();
    return this.add({
      type: 'call',
      direction,
      at,
      callId: `CA${this.rng.hex(32)}`,
      summary,
      disposition,
      durationSec,
      ...extra,
      ...(agent ? { agent } : {}),
    });
  }
}

const NOTES = [
  'Prefers to be contacted by e-mail.',
  'Deliveries: ring twice, side entrance.',
  'Asked not to be called before 10:00.',
  'VAT details updated on request.',
  'Works shifts; best reached in the afternoon.',
  'Interested in the autumn catalogue.',
];

function baseInteractions(t: Timeline, rng: Rng, draft: CustomerDraft, history: History, ctx: SeedContext): void {
  const count = rng.poisson(draft.kind === 'company' ? 2.2 : 1.4);
  for (let n = 0; n < count; n++) {
    const order = history.orders.length > 0 ? rng.pick(history.orders) : undefined;
    const at = order ? order.placedAt.getTime() + rng.int(0, 20) * DAY_MS : rng.real(draft.since, ctx.now);
    const line = order ? rng.pick(order.lines) : undefined;
    const product = line?.name ?? 'our products';
    const consumable = line !== undefined && catalogItem(line.sku).replenishDays !== undefined;
    const orderRef = order ? `order ${order.number}` : 'an order';
    const type = rng.weighted([
      ['inbound', 52],
      ['outbound', 14],
      ['note', 20],
      ['email', 14],
    ] as const);
    switch (type) {
      case 'inbound': {
        const [summary, disposition] = rng.weighted<readonly [string, Disposition]>([
          [[`Asked when ${orderRef} will be delivered.`, 'resolved'], 25],
          [
            [
              consumable ? `Asked whether ${product} is in stock.` : `Question about ${product}: how to set it up.`,
              'resolved',
            ],
            20,
          ],
          [[`Requested a copy of the invoice for ${orderRef}.`, 'resolved'], 12],
          [[`Changed the delivery address.`, 'resolved'], 8],
          [[`Wants advice on ${product}; will call back after checking the model.`, 'follow_up'], 12],
          [[`Asked for a quote; we agreed to call back.`, 'callback_scheduled'], 8],
          [[`General enquiry.`, 'other'], 10],
          [[`Caller was looking for someone else.`, 'wrong_number'], 2],
        ]);
        t.call('inbound', at, summary, disposition);
        break;
      }
      case 'outbound': {
        const [summary, disposition] = rng.weighted<readonly [string, Disposition]>([
          [[`Satisfaction call after ${product}.`, 'resolved'], 40],
          [[`Tried to reach about ${product}.`, 'no_answer'], 30],
          [[`Offered an extended warranty for ${product}; call again next week.`, 'callback_scheduled'], 15],
          [[`Follow-up on the quote.`, 'follow_up'], 15],
        ]);
        t.call('outbound', at, summary, disposition);
        break;
      }
      case 'note': {
        const agent = t.agent();
        t.add({ type: 'note', at, summary: rng.pick(NOTES), ...(agent ? { agent } : {}) });
        break;
      }
      case 'email': {
        const agent = t.agent();
        t.add({
          type: 'email',
          direction: 'outbound',
          at,
          summary: `Sent product information on ${product}.`,
          ...(agent ? { agent } : {}),
        });
        break;
      }
    }
  }
}

/** Collections: reminders for the oldest overdue invoice, as the dunning ladder would have sent them. */
function collections(t: Timeline, rng: Rng, draft: CustomerDraft, history: History, ctx: SeedContext): void {
  const oldest = history.overdue[0];
  if (oldest) {
    const due = oldest.dueAt.getTime();
    const days = (ctx.now - due) / DAY_MS;
    const owed = money(oldest.amount - oldest.paid, oldest.currency);
    if (days >= 7 && draft.flags.smsConsent && !draft.flags.doNotSms && rng.chance(0.7)) {
      t.add({
        type: 'sms',
        direction: 'outbound',
        at: due + 7 * DAY_MS,
        summary: `Payment reminder: invoice ${oldest.number}, ${owed} due.`,
      });
    }
    if (days >= 21 && !draft.flags.doNotCall && rng.chance(0.6)) {
      const disposition = rng.weighted<Disposition>([
        ['promise_to_pay', 40],
        ['no_answer', 35],
        ['callback_scheduled', 15],
        ['dispute', 10],
      ]);
      const summary: Record<string, string> = {
        promise_to_pay: `Collections call on invoice ${oldest.number} (${owed}): promised to pay within ${rng.pick([3, 7, 14])} days.`,
        no_answer: `Collections call on invoice ${oldest.number}: no answer.`,
        callback_scheduled: `Collections call on invoice ${oldest.number}: asked to be called back.`,
        dispute: `Collections call on invoice ${oldest.number}: customer disputes the amount.`,
      };
      t.call(
        'outbound',
        due + rng.int(21, Math.max(21, Math.floor(days))) * DAY_MS,
        summary[disposition] ?? '',
        disposition,
      );
    }
    if (days >= 30 && rng.chance(0.6)) {
      t.add({
        type: 'letter',
        direction: 'outbound',
        at: due + 30 * DAY_MS,
        summary: `Reminder letter for invoice ${oldest.number} (${owed}).`,
      });
    }
  }
  const late = history.paidLate.length > 0 && rng.chance(0.3) ? rng.pick(history.paidLate) : undefined;
  if (late && !draft.flags.doNotCall) {
    t.call(
      'outbound',
      late.dueAt.getTime() + 10 * DAY_MS,
      `Reminder call on invoice ${late.number}; customer says it has been paid.`,
      'paid',
    );
  }
}

/** Things that break get warranty cases; consumables get delivery and return cases. */
const DEVICE_SUBJECTS = [
  (p: string) => `${p} stopped working`,
  (p: string) => `Warranty claim: ${p}`,
  (p: string) => `Missing parts: ${p}`,
  (p: string) => `${p} arrived damaged`,
];
const CONSUMABLE_SUBJECTS = [
  (p: string) => `${p} arrived damaged`,
  (p: string) => `Wrong item delivered instead of ${p}`,
  (p: string) => `Return request: ${p}`,
];

function cases(t: Timeline, rng: Rng, draft: CustomerDraft, history: History, ctx: SeedContext): Case[] {
  const roll = rng.next();
  const open = roll < 0.05;
  const closed = !open && roll < 0.11;
  if ((!open && !closed) || history.orders.length === 0) return [];
  const caseIndex = ctx.counters.cases++;
  const _id = seededObjectId(ctx.seed, 'cases', caseIndex);
  const disputed = history.overdue[0];
  const dispute = disputed !== undefined && rng.chance(0.3);
  const order = rng.pick(history.orders);
  const line = rng.pick(order.lines);
  const templates = catalogItem(line.sku).replenishDays === undefined ? DEVICE_SUBJECTS : CONSUMABLE_SUBJECTS;
  const subject = dispute ? `Invoice ${disputed.number} disputed` : rng.pick(templates)(line.name);
  const openedAt = open
    ? Math.max(draft.since, ctx.now - rng.int(1, 60) * DAY_MS)
    : Math.min(ctx.now - 2 * DAY_MS, order.placedAt.getTime() + rng.int(3, 40) * DAY_MS);
  const call = t.call('inbound', openedAt, `Opened case: ${subject}.`, 'follow_up', { caseId: _id });
  const agent = call.agentId ? { _id: call.agentId, name: call.agentName ?? '' } : undefined;
  const openedOn = call.at.getTime();
  const notes: Case['notes'] = [
    {
      at: call.at,
      ...(agent ? { authorId: agent._id, authorName: agent.name } : {}),
      text: `Customer called: ${subject}.`,
    },
  ];
  let closedAt: Date | undefined;
  if (closed) {
    const end = Math.min(ctx.now, openedOn + rng.int(1, 20) * DAY_MS);
    notes.push({
      at: new Date(end),
      ...(agent ? { authorId: agent._id, authorName: agent.name } : {}),
      text: rng.pick(
        dispute
          ? ['Credit note issued.', 'Explained the invoice; customer accepted it.']
          : ['Replacement shipped.', 'Refund issued.', 'Resolved on the phone.', 'Repaired under warranty.'],
      ),
    });
    closedAt = new Date(end);
  } else if (rng.chance(0.5)) {
    notes.push({
      at: new Date(Math.min(ctx.now, openedOn + DAY_MS)),
      ...(agent ? { authorId: agent._id, authorName: agent.name } : {}),
      text: 'Waiting for photos from the customer.',
    });
  }
  return [
    {
      _id,
      customerId: draft._id,
      number: documentNumber('CS', ctx.seed, caseIndex),
      kind: dispute ? 'dispute' : 'service',
      subject,
      status: closed ? 'closed' : rng.chance(0.7) ? 'open' : 'pending',
      priority: rng.weighted([
        ['normal', 60],
        ['high', 20],
        ['low', 15],
        ['urgent', 5],
      ] as const),
      ...(agent ? { ownerId: agent._id } : {}),
      openedAt: new Date(openedOn),
      ...(closedAt ? { closedAt } : {}),
      callIds: call.callId ? [call.callId] : [],
      notes,
    },
  ];
}

export function generateActivity(ctx: SeedContext, draft: CustomerDraft, history: History): Activity {
  const rng = new Rng(ctx.seed, Stream.interactions, draft.index);
  const t = new Timeline(ctx, rng, draft);
  // Cases draw from their own stream so that adding one does not reshuffle the other interactions.
  const caseRng = new Rng(ctx.seed, Stream.cases, draft.index);
  const caseTimeline = new Timeline(ctx, caseRng, draft);
  const caseDocs = cases(caseTimeline, caseRng, draft, history, ctx);
  baseInteractions(t, rng, draft, history, ctx);
  collections(t, rng, draft, history, ctx);
  const interactions = [...caseTimeline.interactions, ...t.interactions];
  let lastAt: number | undefined;
  for (const i of interactions) lastAt = Math.max(lastAt ?? 0, i.at.getTime());
  return { interactions, cases: caseDocs, ...(lastAt !== undefined ? { lastAt } : {}) };
}
