import { z } from 'zod';
import { roleSchema } from './roles';
import { objectIdOf } from './ids';

export const loginRequestSchema = z.object({
  email: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.email({ error: 'email must be an email address' })),
  password: z.string().min(1, { error: 'password is required' }).max(200),
});
export type LoginRequest = z.infer<typeof loginRequestSchema>;

/** The user as the API shows it: never a password hash. */
export const publicUserSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  roles: z.array(roleSchema),
  skills: z.array(z.string()),
});
export type PublicUser = z.infer<typeof publicUserSchema>;

export const loginResponseSchema = z.object({ token: z.string(), user: publicUserSchema });
export type LoginResponse = z.infer<typeof loginResponseSchema>;

/** `GET /api/auth/me` answers `{user}`: the login answer without the token. */
export const meResponseSchema = loginResponseSchema.pick({ user: true });
export type MeResponse = z.infer<typeof meResponseSchema>;

/**
 * Claims carried in the JWT that authenticates both HTTP and Socket.IO: the user (`sub`) and the
 * session (`sid`), which must still be open for the token to be good.
 */
export const tokenClaimsSchema = z.object({
  sub: objectIdOf('a user id'),
  sid: z.string().min(16).max(64),
  roles: z.array(roleSchema).min(1),
  name: z.string(),
});
export type TokenClaims = z.infer<typeof tokenClaimsSchema>;
