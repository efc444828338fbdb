import { z } from 'zod';
import { publicUserSchema } from '../auth';
import { roleSchema } from '../roles';

const email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ error: 'must be an email address' }));
const password = z.string().min(8, { error: 'must be at least 8 characters' }).max(200);
const skills = z.array(z.string().trim().min(1).max(40)).max(20);
/** Where to ring an agent, per provider (a Twilio client or number, an Asterisk endpoint such as PJSIP/1001). */
const endpoints = z.object({
  twilio: z.string().trim().min(1).max(200).optional(),
  asterisk: z.string().trim().min(1).max(200).optional(),
});

/** `POST /api/users` (admin). */
export const createUserRequestSchema = z.object({
  email,
  name: z.string().trim().min(1, { error: 'is required' }).max(120),
  password,
  roles: z.array(roleSchema).min(1, { error: 'needs at least one role' }),
  skills: skills.default([]),
  endpoints: endpoints.default({}),
});
export type CreateUserRequest = z.infer<typeof createUserRequestSchema>;

/**
 * `PATCH /api/users/:id` (admin): any of these. Deactivating, a new password, and a change of
 * roles or skills end the user's sessions (their tokens stop working, their consoles disconnect).
 */
export const updateUserRequestSchema = z
  .strictObject({
    name: z.string().trim().min(1, { error: 'is required' }).max(120),
    roles: z.array(roleSchema).min(1, { error: 'needs at least one role' }),
    skills,
    endpoints,
    active: z.boolean(),
    password,
  })
  .partial()
  .refine((body) => Object.keys(body).length > 0, { error: 'says nothing to change' });
export type UpdateUserRequest = z.infer<typeof updateUserRequestSchema>;

/** A user as admins see them: the public user, whether they may sign in, and where they are rung. */
export const adminUserSchema = publicUserSchema.extend({
  active: z.boolean(),
  endpoints: z.object({ twilio: z.string().optional(), asterisk: z.string().optional() }),
});
export type AdminUser = z.infer<typeof adminUserSchema>;

export const adminUserAnswerSchema = z.object({ user: adminUserSchema });
/** `GET /api/users`: every user not deleted, by email. */
export const userListSchema = z.object({ users: z.array(adminUserSchema) });
export type UserList = z.infer<typeof userListSchema>;

/** An open session on `GET /api/sessions` (admin). */
export const sessionViewSchema = z.object({
  id: z.string(),
  userId: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  ip: z.string().optional(),
  userAgent: z.string().optional(),
});
export type SessionView = z.infer<typeof sessionViewSchema>;
export const sessionListSchema = z.object({ sessions: z.array(sessionViewSchema) });
export type SessionList = z.infer<typeof sessionListSchema>;
