import bcrypt from 'bcryptjs';
import jwt from 'jsonwebtoken';
import { tokenClaimsSchema, type PublicUser, type Role, type TokenClaims } from '@ringside/shared';
import type { Model } from 'mongoose';
import type { User } from '../db/schemas/user.model';
import { unauthorized } from '../errors';

export interface AuthService {
  login(email: string, password: string): Promise<{ token: string; user: PublicUser }>;
  verify(token: string): TokenClaims;
  hashPassword(password: string): Promise<string>;
}

export function toPublicUser(user: Pick<User, '_id' | 'email' | 'name' | 'roles' | 'skills'>): PublicUser {
  return { id: user._id.toString(), email: user.email, name: user.name, roles: user.roles, skills: user.skills };
}

/** bcrypt (pure JavaScript: no native build to break on a new machine), cost 11 (~0.1 s). */
export const hashPassword = (password: string) => bcrypt.hash(password, 11);

export function createAuthService(deps: { users: Model<User>; secret: string; ttl: string }): AuthService {
  // Verified when the email is unknown, so that an unknown user costs the same time as a
  // wrong password and the two cannot be told apart.
  const dummyHash = hashPassword('ringside-timing-equalizer');
  const invalid = () => unauthorized('invalid email or password');

  return {
    async login(email, password) {
      const user = await deps.users.findOne({ email: email.toLowerCase(), active: true }).lean();
      const ok = await bcrypt.compare(password, user?.passwordHash ?? (await dummyHash)).catch(() => false);
      if (!user || !ok) throw invalid();
      const claims: TokenClaims = { sub: user._id.toString(), roles: user.roles, name: user.name };
      const token = jwt.sign(claims, deps.secret, {
        expiresIn: deps.ttl as jwt.SignOptions['expiresIn'],
        algorithm: 'HS256',
      });
      return { token, user: toPublicUser(user) };
    },
    verify(token) {
      try {
        const payload = jwt.verify(token, deps.secret, { algorithms: ['HS256'] });
        return tokenClaimsSchema.parse(payload);
      } catch {
        throw unauthorized('invalid or expired token');
      }
    },
    hashPassword,
  };
}

export function hasRole(claims: Pick<TokenClaims, 'roles'>, ...roles: Role[]): boolean {
  return claims.roles.some((r) => roles.includes(r));
}
