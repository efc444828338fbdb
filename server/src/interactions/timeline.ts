import type { Types } from 'mongoose';
import { z } from 'zod';
import type { Models } from '../db/models';
import { parseOrThrow } from '../errors';
import { interactionView } from './interaction.view';

export const timelineQuerySchema = z.object({
  before: z.iso.datetime({ offset: true, error: 'must be an ISO date-time' }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export interface TimelineEntry {
  id: string;
  type: 'call' | 'note' | 'sms' | 'letter' | 'email' | 'case';
  at: string;
  summary: string;
  agentName?: string;
  disposition?: string;
  direction?: string;
  callId?: string;
  caseNumber?: string;
  status?: string;
}

/** Calls, notes, SMS, letters and cases of one customer, newest first, merged by time. */
export async function timeline(models: Models, customerId: Types.ObjectId, query: unknown) {
  const q = parseOrThrow(timelineQuerySchema, query, 'timeline query');
  const before = q.before ? new Date(q.before) : undefined;
  const [interactions, cases] = await Promise.all([
    models.Interaction.find({ customerId, ...(before ? { at: { $lt: before } } : {}) })
      .sort({ at: -1 })
      .limit(q.limit + 1)
      .lean(),
    models.Case.find({ customerId, ...(before ? { openedAt: { $lt: before } } : {}) })
      .sort({ openedAt: -1 })
      .limit(q.limit + 1)
      .lean(),
  ]);
  const entries: TimelineEntry[] = [
    ...interactions.map((i) => ({
      ...interactionView(i),
      ...(i.direction ? { direction: i.direction } : {}),
      ...(i.callId ? { callId: i.callId } : {}),
    })),
    ...cases.map((c) => ({
      id: c._id.toString(),
      type: 'case' as const,
      at: c.openedAt.toISOString(),
      summary: c.subject,
      caseNumber: c.number,
      status: c.status,
    })),
  ].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  return { entries: entries.slice(0, q.limit), hasMore: entries.length > q.limit };
}
