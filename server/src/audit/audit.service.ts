import { Types } from 'mongoose';
import { z } from 'zod';
import { objectIdOf } from '@ringside/shared';
import type { Models } from '../db/models';
import type { Clock } from '../clock';
import { parseOrThrow } from '../errors';
import type { AuditEntry } from '../db/schemas/audit.model';

/** An audit entry as callers give it: ids as strings, the time is the clock's. */
export type AuditInput = Omit<AuditEntry, '_id' | 'at' | 'userId'> & { userId?: string };

export const auditQuerySchema = z.object({
  entity: z.string().max(40).optional(),
  entityId: z.string().max(64).optional(),
  userId: objectIdOf('a user id').optional(),
  before: z.iso.datetime({ offset: true, error: 'must be an ISO date-time' }).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** Who read or changed which record, when, from which call. Append-only. */
export class AuditService {
  constructor(
    private readonly models: Models,
    private readonly clock: Clock,
  ) {}

  async record(entry: AuditInput): Promise<void> {
    await this.models.Audit.create(this.toDoc(entry, this.clock.now()));
  }

  /** Many entries at once (a scan's actions), in bulk inserts of at most 5,000. */
  async recordMany(entries: AuditInput[]): Promise<void> {
    const at = this.clock.now();
    const docs = entries.map((e) => this.toDoc(e, at));
    for (let i = 0; i < docs.length; i += 5000)
      await this.models.Audit.insertMany(docs.slice(i, i + 5000), { ordered: false, lean: true });
  }

  private toDoc({ userId, ...entry }: AuditInput, at: Date): Omit<AuditEntry, '_id'> {
    return { at, ...entry, ...(userId ? { userId: new Types.ObjectId(userId) } : {}) };
  }

  /** Newest first; page with `before` (the `at` of the last entry seen). */
  async list(input: unknown) {
    const q = parseOrThrow(auditQuerySchema, input, 'audit query');
    const filter: Record<string, unknown> = {};
    if (q.entity) filter.entity = q.entity;
    if (q.entityId) filter.entityId = q.entityId;
    if (q.userId) filter.userId = new Types.ObjectId(q.userId);
    if (q.before) filter.at = { $lt: new Date(q.before) };
    const entries = await this.models.Audit.find(filter)
      .sort({ at: -1 })
      .limit(q.limit + 1)
      .lean();
    return {
      entries: entries.slice(0, q.limit).map((e) => ({
        id: e._id.toString(),
        at: e.at.toISOString(),
        userId: e.userId?.toString(),
        userName: e.userName,
        action: e.action,
        entity: e.entity,
        entityId: e.entityId,
        callId: e.callId,
        details: e.details,
      })),
      hasMore: entries.length > q.limit,
    };
  }
}
