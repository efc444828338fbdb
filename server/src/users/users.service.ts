// Users as admins manage them: create, change (name, roles, skills, ring endpoints, active,
// password), delete, and their sessions. Every change is audited (never the password), and the
// changes that alter what a token stands for end the user's sessions: deactivation, deletion, a
// change of roles or skills, a new password.
import type { Types } from 'mongoose';
import type { AdminUser, CreateUserRequest, SessionView, UpdateUserRequest } from '@ringside/shared';
import type { Models } from '../db/models';
import type { User } from '../db/schemas/user.model';
import type { SessionEndReason } from '../db/schemas/session.model';
import type { AuthService } from '../auth/auth.service';
import type { AuditService } from '../audit/audit.service';
import type { Viewer } from '../auth/viewer';
import type { Clock } from '../clock';
import { toObjectId } from '../db/ids';
import { conflict, isDuplicateKey, notFound } from '../errors';

/** A user as read here: never with the password hash. */
type UserRecord = Omit<User, 'passwordHash'>;

export function toAdminUser(user: UserRecord): AdminUser {
  return {
    id: user._id.toString(),
    email: user.email,
    name: user.name,
    roles: user.roles,
    skills: user.skills,
    active: user.active,
    endpoints: {
      ...(user.endpoints?.twilio ? { twilio: user.endpoints.twilio } : {}),
      ...(user.endpoints?.asterisk ? { asterisk: user.endpoints.asterisk } : {}),
    },
  };
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

export class UserService {
  constructor(private readonly deps: { models: Models; auth: AuthService; audit: AuditService; clock: Clock }) {}

  /** Every user not deleted, by email (at most 1,000). */
  async list(): Promise<AdminUser[]> {
    const users = await this.deps.models.User.find({ deletedAt: { $exists: false } }, { passwordHash: 0 })
      .sort({ email: 1 })
      .limit(1000)
      .lean();
    return users.map(toAdminUser);
  }

  async create(body: CreateUserRequest, by: Viewer): Promise<AdminUser> {
    const { password, ...fields } = body;
    let user;
    try {
      user = await this.deps.models.User.create({
        ...fields,
        passwordHash: await this.deps.auth.hashPassword(password),
        state: { status: 'offline', since: this.deps.clock.now() },
      });
    } catch (err) {
      if (isDuplicateKey(err)) throw conflict(`a user with email ${body.email} already exists`);
      throw err;
    }
    await this.audit(by, 'create', user._id, { email: fields.email, roles: fields.roles, skills: fields.skills });
    return toAdminUser(user.toObject());
  }

  /** Applies a change; ends the user's sessions when it changes what their tokens stand for. */
  async update(id: string, body: UpdateUserRequest, by: Viewer): Promise<{ user: AdminUser; sessionsEnded: number }> {
    const _id = toObjectId(id, 'user id');
    const before = await this.live(_id);
    if (id === by.userId) this.refuseSelfLockout(before, body);
    const { password, ...fields } = body;
    const set: Record<string, unknown> = { ...fields };
    if (password !== undefined) set.passwordHash = await this.deps.auth.hashPassword(password);
    const after = await this.deps.models.User.findOneAndUpdate(
      { _id, deletedAt: { $exists: false } },
      { $set: set },
      { returnDocument: 'after', runValidators: true, projection: { passwordHash: 0 } },
    ).lean();
    if (!after) throw notFound('user');
    const reason = endReason(before, body);
    const sessionsEnded = reason ? await this.deps.auth.sessions.endAllOf(id, reason) : 0;
    await this.audit(by, 'update', _id, {
      changed: Object.keys(body),
      ...(fields.roles ? { roles: { from: before.roles, to: fields.roles } } : {}),
      ...(fields.skills ? { skills: { from: before.skills, to: fields.skills } } : {}),
      ...(fields.active !== undefined ? { active: fields.active } : {}),
      ...(reason ? { sessionsEnded, reason } : {}),
    });
    return { user: toAdminUser(after), sessionsEnded };
  }

  /** Deletes a user: they never sign in or list again; records that name them keep the name. */
  async remove(id: string, by: Viewer): Promise<void> {
    const _id = toObjectId(id, 'user id');
    if (id === by.userId) throw conflict('you cannot delete yourself');
    await this.live(_id);
    await this.deps.models.User.updateOne(
      { _id, deletedAt: { $exists: false } },
      { $set: { deletedAt: this.deps.clock.now(), active: false } },
    );
    const sessionsEnded = await this.deps.auth.sessions.endAllOf(id, 'deleted');
    await this.audit(by, 'delete', _id, { sessionsEnded });
  }

  async sessionsOf(id: string): Promise<SessionView[]> {
    await this.live(toObjectId(id, 'user id'));
    const open = await this.deps.auth.sessions.openOf(id);
    return open.map((s) => ({
      id: s.id,
      userId: s.userId,
      createdAt: s.createdAt.toISOString(),
      expiresAt: s.expiresAt.toISOString(),
      ...(s.ip ? { ip: s.ip } : {}),
      ...(s.userAgent ? { userAgent: s.userAgent } : {}),
    }));
  }

  async endSession(sessionId: string, by: Viewer): Promise<void> {
    if (!(await this.deps.auth.sessions.end(sessionId, 'ended_by_admin'))) throw notFound('session');
    await this.deps.audit.record({
      userId: by.userId,
      userName: by.name,
      action: 'end',
      entity: 'session',
      entityId: sessionId,
    });
  }

  private async live(_id: Types.ObjectId): Promise<UserRecord> {
    const user = await this.deps.models.User.findById(_id, { passwordHash: 0 }).lean();
    if (!user || user.deletedAt) throw notFound('user');
    return user;
  }

  /** An admin keeps a way back in: they cannot switch themselves off or drop their own admin role. */
  private refuseSelfLockout(me: UserRecord, body: UpdateUserRequest): void {
    if (body.active === false) throw conflict('you cannot deactivate yourself');
    if (body.roles && me.roles.includes('admin') && !body.roles.includes('admin'))
      throw conflict('you cannot remove your own admin role');
  }

  private async audit(by: Viewer, action: string, id: Types.ObjectId, details: Record<string, unknown>) {
    await this.deps.audit.record({
      userId: by.userId,
      userName: by.name,
      action,
      entity: 'user',
      entityId: id.toString(),
      details,
    });
  }
}

/** Which change, if any, ends the user's sessions. */
function endReason(before: UserRecord, body: UpdateUserRequest): SessionEndReason | null {
  if (body.active === false && before.active) return 'deactivated';
  if (body.password !== undefined) return 'password_changed';
  if (body.roles && !sameSet(body.roles, before.roles)) return 'roles_changed';
  if (body.skills && !sameSet(body.skills, before.skills)) return 'skills_changed';
  return null;
}
