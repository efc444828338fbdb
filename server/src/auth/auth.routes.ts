import { Router } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { loginRequestSchema, type LoginResponse, type MeResponse } from '@ringside/shared';
import type { AuthService } from './auth.service';
import { requireAuth } from './auth.middleware';
import { AppError, parseOrThrow } from '../errors';
import type { Models } from '../db/models';
import { toPublicUser } from './auth.service';
import { notFound } from '../errors';

export function authRoutes(deps: { auth: AuthService; models: Models; loginRateLimit: number }): Router {
  const router = Router();
  // Per client address and account: guessing one account's password from many addresses,
  // or many accounts from one address, both hit a limit.
  const limiter = rateLimit({
    windowMs: 15 * 60 * 1000,
    limit: deps.loginRateLimit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    keyGenerator: (req) => {
      const email = typeof req.body?.email === 'string' ? req.body.email.trim().toLowerCase() : '';
      return `${ipKeyGenerator(req.ip ?? '')}|${email}`;
    },
    handler: (_req, _res, next) =>
      next(new AppError('rate_limited', 'too many login attempts; try again in a few minutes')),
  });

  router.post('/login', limiter, async (req, res) => {
    const body = parseOrThrow(loginRequestSchema, req.body, 'login');
    const client = {
      ...(req.ip ? { ip: req.ip } : {}),
      ...(req.get('user-agent') ? { userAgent: req.get('user-agent') } : {}),
    };
    res.json((await deps.auth.login(body.email, body.password, client)) satisfies LoginResponse);
  });

  // Ends this token's session: the token stops working and the session's consoles disconnect.
  router.post('/logout', requireAuth(deps.auth), async (req, res) => {
    if (req.auth) await deps.auth.sessions.end(req.auth.sid, 'logout', req.auth.sub);
    res.status(204).end();
  });

  router.get('/me', requireAuth(deps.auth), async (req, res) => {
    const user = await deps.models.User.findById(req.auth?.sub).lean();
    if (!user) throw notFound('user');
    res.json({ user: toPublicUser(user) } satisfies MeResponse);
  });
  return router;
}
