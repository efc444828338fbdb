import express, { type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { randomUUID } from 'node:crypto';
import type { Config } from './config/env';
import type { Database } from './db/connection';
import type { Logger } from './logger';
import type { Clock } from './clock';
import { createAuthService, type AuthService } from './auth/auth.service';
import { authRoutes } from './auth/auth.routes';
import { healthRoutes } from './health/health.routes';
import { errorHandler, notFoundHandler } from './http/error-handler';
import { userRoutes } from './users/users.routes';
import { consoleRoutes } from './http/console';

export interface AppDeps {
  config: Config;
  db: Database;
  logger: Logger;
  clock: Clock;
}

export interface App {
  express: Express;
  auth: AuthService;
}

/** Builds the HTTP application from its dependencies; main.ts wires real ones, tests their own. */
export function createApp(deps: AppDeps): App {
  const { config, db, logger } = deps;
  const auth = createAuthService({ users: db.models.User, secret: config.jwt.secret, ttl: config.jwt.ttl });

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(helmet());
  app.use(
    pinoHttp({
      logger,
      genReqId: (req) => (typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : randomUUID()),
      autoLogging: { ignore: (req) => req.url === '/healthz' },
    }),
  );
  app.use(express.json({ limit: '256kb' }));
  app.use(express.urlencoded({ extended: false, limit: '64kb' }));

  app.use(healthRoutes({ db }));
  app.use('/api/auth', authRoutes({ auth, models: db.models, loginRateLimit: config.loginRateLimit }));

  app.use('/api', userRoutes({ models: db.models, auth }));

  app.use(['/api', '/telephony'], notFoundHandler);
  app.use(consoleRoutes());
  app.use(errorHandler);
  return { express: app, auth };
}
