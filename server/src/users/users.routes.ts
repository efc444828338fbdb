import { Router } from 'express';
import { z } from 'zod';
import { roleSchema, type AgentRoster } from '@ringside/shared';
import type { Models } from '../db/models';
import type { AuthService } from '../auth/auth.service';
import { toPublicUser } from '../auth/auth.service';
import { requireAuth, requireRole } from '../auth/auth.middleware';
import { conflict, isDuplicateKey, parseOrThrow } from '../errors';

const createUserSchema = z.object({
  email: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.email({ error: 'must be an email address' })),
  name: z.string().trim().min(1, { error: 'is required' }).max(120),
  password: z.string().min(8, { error: 'must be at least 8 characters' }).max(200),
  roles: z.array(roleSchema).min(1, { error: 'needs at least one role' }),
  skills: z.array(z.string().trim().min(1).max(40)).max(20).default([]),
  endpoints: z.object({ twilio: z.string().max(200).optional(), asterisk: z.string().max(200).optional() }).default({}),
});

/** Users (admin) and the agent roster with live state (supervisors). */
export function userRoutes(deps: { models: Models; auth: AuthService }): Router {
  const router = Router();
  const authed = requireAuth(deps.auth);

  router.get('/users', authed, requireRole('admin'), async (_req, res) => {
    const users = await deps.models.User.find({}, { passwordHash: 0 }).sort({ email: 1 }).limit(1000).lean();
    res.json({ users: users.map(toPublicUser) });
  });

  router.post('/users', authed, requireRole('admin'), async (req, res) => {
    const body = parseOrThrow(createUserSchema, req.body, 'user');
    try {
      const user = await deps.models.User.create({
        ...body,
        passwordHash: await deps.auth.hashPassword(body.password),
        state: { status: 'offline', since: new Date() },
      });
      res.status(201).json({ user: toPublicUser(user) });
    } catch (err) {
      if (isDuplicateKey(err)) throw conflict(`a user with email ${body.email} already exists`);
      throw err;
    }
  });

  router.get('/agents', authed, requireRole('supervisor'), async (_req, res) => {
    const agents = await deps.models.User.find(
      { roles: 'agent', active: true },
      { name: 1, email: 1, skills: 1, state: 1, console: 1 },
    )
      .sort({ name: 1 })
      .lean();
    res.json({
      agents: agents.map((a) => ({
        id: a._id.toString(),
        name: a.name,
        email: a.email,
        skills: a.skills,
        state: {
          status: a.state.status,
          since: a.state.since.toISOString(),
          ...(a.state.reason ? { reason: a.state.reason } : {}),
        },
        connected: a.console?.connected === true,
      })),
    } satisfies AgentRoster);
  });
  return router;
}
