import bcrypt from 'bcryptjs';
import jwt from 'jsonwebtoken';
import { tokenClaimsSchema, type PublicUser, type TokenClaims } from '@ringside/shared';
import type { Models } from '../db/models';
import type { User } from '../db/schemas/user.model';
import type { Clock } from '../clock';
import { unauthorized } from '../errors';
import { SessionStore } from './sessions';

/** Who signs in from where, kept with the session for the admin's list. */
export interface LoginClient {
  ip?: string;
  userAgent?: string;
}

export interface AuthService {
  /** Checks the password and opens a session; the token names it. */
  login(email: string, password: string, client?: LoginClient): Promise<{ token: string; user: PublicUser }>;
  /** A session for a user without a password check (scripts and benchmarks that stand in for many consoles). */
  issue(user: Pick<User, '_id' | 'roles' | 'name'>, client?: LoginClient): Promise<string>;
  /** The claims of a good token whose session is still open; otherwise a 401. */
  authenticate(token: string): Promise<TokenClaims>;
  sessions: SessionStore;
  hashPassword(password: string): Promise<string>;
}

export function toPublicUser(user: Pick<User, '_id' | 'email' | 'name' | 'roles' | 'skills'>): PublicUser {
  return { id: user._id.toString(), email: user.email, name: user.name, roles: user.roles, skills: user.skills };
}

/** bcrypt (pure JavaScript: no native build to break on a new machine), cost 11 (~0.1 s). */
export const hashPassword = (password: string) => bcrypt.hash(password, 11);

export function createAuthService(deps: { models: Models; clock: Clock; secret: string; ttl: string }): AuthService {
  // Verified when the email is unknown, so that an unknown user costs the same time as a
  // wrong password and the two cannot be told apart.
  const dummyHash = hashPassword('ringside-timing-equalizer');
  const invalid = () => unauthorized('invalid email or password');
  const sessions = new SessionStore(deps.models, deps.clock);
  const users = deps.models.User;

  const lifetimeMs = durationMs(deps.ttl);

  async function issue(user: Pick<User, '_id' | 'roles' | 'name'>, client: LoginClient = {}): Promise<string> {
    const now = deps.clock.now().getTime();
    const iat = Math.floor(now / 1000);
    const exp = Math.floor((now + lifetimeMs) / 1000);
    const sid = await sessions.open(user._id.toString(), new Date(exp * 1000), client);
    const claims = { sub: user._id.toString(), sid, roles: user.roles, name: user.name };
    return jwt.sign({ ...(claims satisfies TokenClaims), iat, exp }, deps.secret, { algorithm: 'HS256' });
  }

  return {
    async login(email, password, client) {
      const user = await users.findOne({ email: email.toLowerCase(), active: true }).lean();
      const ok = await bcrypt.compare(password, user?.passwordHash ?? (await dummyHash)).catch(() => false);
      if (!user || !ok || user.deletedAt) throw invalid();
      return { token: await issue(user, client), user: toPublicUser(user) };
    },
    issue,
    async authenticate(token) {
      let claims: TokenClaims;
      try {
        const payload = jwt.verify(token, deps.secret, {
          algorithms: ['HS256'],
          clockTimestamp: Math.floor(deps.clock.now().getTime() / 1000),
        });
        claims = tokenClaimsSchema.parse(payload);
      } catch {
        throw unauthorized('invalid or expired token');
      }
      if (!(await sessions.isOpen(claims.sid, claims.sub))) throw unauthorized('this session has ended; sign in again');
      return claims;
    },
    sessions,
    hashPassword,
  };
}

/** A token lifetime as JWT_TTL writes it (`30m`, `12h`, `7d`) in milliseconds. */
export function durationMs(ttl: string): number {
  const match = /^(\d+)([smhd])$/.exec(ttl);
  if (!match) throw new Error(`not a duration: ${ttl}`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}
