import { Router } from 'express';
import {
  createUserRequestSchema,
  updateUserRequestSchema,
  type AgentRoster,
  type SessionList,
  type UserList,
} from '@ringside/shared';
import type { Models } from '../db/models';
import type { AuthService } from '../auth/auth.service';
import type { AuditService } from '../audit/audit.service';
import type { Clock } from '../clock';
import { requireAuth } from '../auth/auth.middleware';
import { allow } from '../auth/policy';
import { viewerOf } from '../auth/viewer';
import { parseOrThrow } from '../errors';
import { UserService } from './users.service';

/** Users and their sessions (admin), and the agent roster with live state (supervisors). */
export function userRoutes(deps: { models: Models; auth: AuthService; audit: AuditService; clock: Clock }): Router {
  const router = Router();
  const users = new UserService(deps);
  const authed = requireAuth(deps.auth);

  router.get('/users', authed, allow('read', 'User'), async (_req, res) => {
    res.json({ users: await users.list() } satisfies UserList);
  });

  router.post('/users', authed, allow('create', 'User'), async (req, res) => {
    const body = parseOrThrow(createUserRequestSchema, req.body, 'user');
    res.status(201).json({ user: await users.create(body, viewerOf(req)) });
  });

  router.patch('/users/:id', authed, allow('update', 'User'), async (req, res) => {
    const body = parseOrThrow(updateUserRequestSchema, req.body, 'user change');
    res.json(await users.update(req.params.id as string, body, viewerOf(req)));
  });

  router.delete('/users/:id', authed, allow('delete', 'User'), async (req, res) => {
    await users.remove(req.params.id as string, viewerOf(req));
    res.status(204).end();
  });

  router.get('/users/:id/sessions', authed, allow('read', 'User'), async (req, res) => {
    res.json({ sessions: await users.sessionsOf(req.params.id as string) } satisfies SessionList);
  });

  // Ending someone's session changes that user's access.
  router.delete('/sessions/:id', authed, allow('update', 'User'), async (req, res) => {
    await users.endSession(req.params.id as string, viewerOf(req));
    res.status(204).end();
  });

  router.get('/agents', authed, allow('read', 'AgentRoster'), async (_req, res) => {
    const agents = await deps.models.User.find(
      { roles: 'agent', active: true },
      { name: 1, email: 1, skills: 1, state: 1, console: 1, deletedAt: 1 },
    )
      .sort({ name: 1 })
      .lean();
    res.json({
      agents: agents
        .filter((a) => !a.deletedAt)
        .map((a) => ({
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
