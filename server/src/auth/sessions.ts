// Sessions: opened at sign-in, checked on every request and socket connect (with a short cache),
// ended by logout, by an admin, or by a change to the user (deactivation, deletion, roles,
// skills, password). Ending one tells every listener at once: the app disconnects the session's
// sockets and, with several processes, tells the others to forget their cached answer.
import { randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import type { Models } from '../db/models';
import type { Clock } from '../clock';
import type { Session, SessionEndReason } from '../db/schemas/session.model';

/** How long a checked session is believed open without asking the database again. */
export const SESSION_CACHE_MS = 5_000;

export interface SessionsEnded {
  ids: string[];
  reason: SessionEndReason;
}

export interface OpenSession {
  id: string;
  userId: string;
  createdAt: Date;
  expiresAt: Date;
  ip?: string;
  userAgent?: string;
}

export class SessionStore {
  private readonly cache = new Map<string, { userId: string; until: number }>();
  private readonly listeners: ((ended: SessionsEnded) => Promise<void> | void)[] = [];

  constructor(
    private readonly models: Models,
    private readonly clock: Clock,
  ) {}

  /** A new session for `userId`, good until `expiresAt`. */
  async open(userId: string, expiresAt: Date, client: { ip?: string; userAgent?: string } = {}): Promise<string> {
    const id = randomBytes(18).toString('base64url');
    await this.models.Session.create({
      _id: id,
      userId: new Types.ObjectId(userId),
      createdAt: this.clock.now(),
      expiresAt,
      ...(client.ip ? { ip: client.ip.slice(0, 64) } : {}),
      ...(client.userAgent ? { userAgent: client.userAgent.slice(0, 200) } : {}),
    });
    return id;
  }

  /**
   * Whether session `id` of `userId` is open now: not ended, not expired, and its user still
   * active (a user switched off in the database by other means than the API is out within the
   * cache period too).
   */
  async isOpen(id: string, userId: string): Promise<boolean> {
    const now = this.clock.now().getTime();
    const cached = this.cache.get(id);
    if (cached && cached.until > now) return cached.userId === userId;
    const [session, user] = await Promise.all([
      this.models.Session.findById(id, { userId: 1, expiresAt: 1, endedAt: 1 }).lean(),
      this.models.User.findById(userId, { active: 1, deletedAt: 1 }).lean(),
    ]);
    const open =
      !!session && !session.endedAt && session.expiresAt.getTime() > now && !!user && user.active && !user.deletedAt;
    if (!open) {
      this.cache.delete(id);
      return false;
    }
    const owner = session.userId.toString();
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(id, { userId: owner, until: Math.min(now + SESSION_CACHE_MS, session.expiresAt.getTime()) });
    return owner === userId;
  }

  /** Ends one session (of `userId` when given: a user ends only their own). Whether it was open. */
  async end(id: string, reason: SessionEndReason, userId?: string): Promise<boolean> {
    const filter = { _id: id, ...(userId ? { userId: new Types.ObjectId(userId) } : {}) };
    const session = await this.models.Session.findOne(filter, { endedAt: 1, expiresAt: 1 }).lean();
    if (!session || session.endedAt) return false;
    await this.models.Session.updateOne(
      { _id: id, endedAt: { $exists: false } },
      { $set: { endedAt: this.clock.now(), endReason: reason } },
    );
    await this.ended({ ids: [id], reason });
    return session.expiresAt > this.clock.now();
  }

  /** Ends every open session of `userId`; how many. */
  async endAllOf(userId: string, reason: SessionEndReason): Promise<number> {
    const open = await this.openOf(userId);
    if (open.length === 0) return 0;
    const ids = open.map((s) => s.id);
    await this.models.Session.updateMany(
      { _id: { $in: ids }, endedAt: { $exists: false } },
      { $set: { endedAt: this.clock.now(), endReason: reason } },
    );
    await this.ended({ ids, reason });
    return ids.length;
  }

  /** The open sessions of one user (at most 200, newest first). */
  async openOf(userId: string): Promise<OpenSession[]> {
    const sessions = await this.models.Session.find({
      userId: new Types.ObjectId(userId),
      expiresAt: { $gt: this.clock.now() },
    })
      .sort({ expiresAt: -1 })
      .limit(200)
      .lean();
    return sessions.filter((s) => !s.endedAt).map(toOpen);
  }

  /**
   * Told of every end decided in this process (the app disconnects sockets and tells the other
   * processes); ending a session waits for its listeners, so that when it answers, it is over everywhere.
   */
  onEnded(listener: (ended: SessionsEnded) => Promise<void> | void): void {
    this.listeners.push(listener);
  }

  /** Another process ended these: the cached answers go. */
  forget(ids: readonly string[]): void {
    for (const id of ids) this.cache.delete(id);
  }

  private async ended(ended: SessionsEnded): Promise<void> {
    this.forget(ended.ids);
    await Promise.allSettled(this.listeners.map(async (listener) => listener(ended)));
  }
}

function toOpen(s: Session): OpenSession {
  return {
    id: s._id,
    userId: s.userId.toString(),
    createdAt: s.createdAt,
    expiresAt: s.expiresAt,
    ...(s.ip ? { ip: s.ip } : {}),
    ...(s.userAgent ? { userAgent: s.userAgent } : {}),
  };
}
