import { Router } from 'express';
import { ipKeyGenerator, rateLimit, type RateLimitExceededEventHandler } from 'express-rate-limit';
import { LOGIN_WINDOW_MS, type LoginLimits } from './login-limits';
import { loginRequestSchema, type LoginResponse, type MeResponse } from '@ringside/shared';
import type { AuthService } from './auth.service';
import { requireAuth } from './auth.middleware';
import { AppError, parseOrThrow } from '../errors';
import type { Models } from '../db/models';
import { toPublicUser } from './auth.service';
import { notFound } from '../errors';

export function authRoutes(deps: {
  auth: AuthService;
  models: Models;
  loginRateLimit: number;
  limits: LoginLimits;
}): Router {
  const router = Router();
  // Failed sign-ins are counted per account from any address and per address over every account
  // (five times the account limit: an office signs in from one address), in a store every process shares.
  const refuse: RateLimitExceededEventHandler = (_req, _res, next) =>
    next(new AppError('rate_limited', 'too many login attempts; try again in a few minutes'));
  const common = {
    windowMs: LOGIN_WINDOW_MS,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    handler: refuse,
  } as const;
  const perAccount = rateLimit({
    ...common,
    limit: deps.loginRateLimit,
    store: deps.limits.perAccount,
    keyGenerator: (req) => (typeof req.body?.email === 'string' ? req.body.email.trim().toLowerCase() : '-'),
  });
  const perAddress = rateLimit({
    ...common,
    limit: deps.loginRateLimit * 5,
    store: deps.limits.perAddress,
    keyGenerator: (req) => ipKeyGenerator(req.ip ?? ''),
  });

  router.post('/login', perAddress, perAccount, async (req, res) => {
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
