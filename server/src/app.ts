import express, { type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import { TwilioProvider, type TelephonyProvider } from '@ringside/telephony';
import type { Config } from './config/env';
import type { Database } from './db/connection';
import type { Logger } from './logger';
import type { Clock } from './clock';
import { createAuthService, type AuthService } from './auth/auth.service';
import { authRoutes } from './auth/auth.routes';
import { loginLimits, type LoginLimits } from './auth/login-limits';
import { healthRoutes } from './health/health.routes';
import { errorHandler, notFoundHandler } from './http/error-handler';
import { bodyParsers } from './http/body-parsing';
import { databaseAway, databaseGate } from './http/database-gate';
import { userRoutes } from './users/users.routes';
import { consoleRoutes } from './http/console';
import { createGateway, Realtime, sessionRoom, type RingsideServer } from './realtime/gateway';
import { CallService } from './calls/call.service';
import { registerCallHandlers } from './calls/calls.handlers';
import { twilioRoutes } from './telephony/twilio.routes';
import type { DunningService } from './dunning/dunning.service';
import { createDunningService } from './dunning/create';
import { dunningRoutes } from './dunning/dunning.routes';
import { createMetrics, type Metrics } from './metrics/metrics';
import { metricsRoutes } from './metrics/metrics.routes';
import { customerRoutes } from './customers/customers.routes';
import { CustomerService } from './customers/customers.service';
import { AuditService } from './audit/audit.service';
import { auditRoutes } from './audit/audit.routes';
import { caseRoutes } from './cases/cases.routes';
import { taskRoutes } from './tasks/tasks.routes';
import { settingsRoutes } from './settings/settings.routes';
import { SupervisorService } from './supervisor/supervisor.service';
import { supervisorRoutes } from './supervisor/supervisor.routes';
import { orderRoutes, type OrderListener } from './orders/orders.routes';
import { CallbackService } from './callbacks/callbacks.service';
import { callbackRoutes } from './callbacks/callbacks.routes';
import { CallbackDialer } from './callbacks/callback-dialer';
import { callRoutes } from './calls/calls.routes';
import { queueRoutes } from './routing/queues.routes';
import { QueueDirectory } from './routing/queues';
import { Presence } from './presence/presence.service';
import { JobRuns } from './jobs/job-runs';
import { processName } from './jobs/scheduler';
import { publishCallPath, type Pace } from './jobs/pacer';
import { localScans, type DunningScans } from './dunning/scans';
import { suggestionRoutes } from './suggestions/suggestions.routes';

export interface AppDeps {
  config: Config;
  db: Database;
  logger: Logger;
  clock: Clock;
  /** Telephony providers; by default Twilio from the configuration (and Asterisk when ARI_URL is set, wired in main). */
  providers?: { twilio?: TwilioProvider; asterisk?: TelephonyProvider };
  /** Told of every new order (the suggestions job recomputes that customer). */
  orderListener?: OrderListener;
  /**
   * The jobs as this process reaches them. By default a dunning scan asked for over HTTP runs here;
   * a web process beside a worker asks the worker instead. Without `queueSuggestionsRun`, an admin
   * cannot start a suggestions run from this process.
   */
  jobs?: { dunningScans?: DunningScans; queueSuggestionsRun?: () => Promise<void>; name?: string; pace?: Pace };
}

export interface App {
  express: Express;
  io: RingsideServer;
  realtime: Realtime;
  auth: AuthService;
  calls: CallService;
  supervisor: SupervisorService;
  dialer: CallbackDialer;
  dunning: DunningService;
  presence: Presence;
  metrics: Metrics;
  twilio: TwilioProvider;
  /** Stops publishing the call path's figures (closed with the server). */
  callPath: { stop(): Promise<void> };
  /** Where failed sign-ins are counted (closed with the server). */
  loginLimits: LoginLimits;
}

/**
 * Builds the application on an HTTP server from its dependencies: HTTP routes, Socket.IO,
 * the call path. main.ts wires real parts; tests wire theirs.
 */
export function createApp(deps: AppDeps, httpServer: HttpServer): App {
  const { config, db, logger, clock } = deps;
  const auth = createAuthService({ models: db.models, clock, secret: config.jwt.secret, ttl: config.jwt.ttl });
  const metrics = createMetrics();
  const io = createGateway(httpServer, { auth, logger, allowedOrigins: config.allowedOrigins });
  const realtime = new Realtime(io);
  // An ended session's sockets go at once, on every process (the Redis adapter carries both).
  // Ending one waits for the other processes to forget it (the adapter gives up after its request
  // timeout), so that it is over everywhere when it answers.
  auth.sessions.onEnded(async ({ ids }) => {
    for (const id of ids) io.in(sessionRoom(id)).disconnectSockets(true);
    if (!config.redisUrl) return;
    await io
      .serverSideEmitWithAck('sessionsEnded', ids)
      .catch((err: unknown) => logger.warn({ err }, 'not every process confirmed an ended session'));
  });
  io.on('sessionsEnded', (ids, done) => {
    auth.sessions.forget(ids);
    done(true);
  });
  const twilio =
    deps.providers?.twilio ??
    new TwilioProvider({
      accountSid: config.twilio.accountSid,
      authToken: config.twilio.authToken,
      apiBase: config.twilio.apiBase,
      publicUrl: config.publicUrl,
      ...(config.holdMusicUrl ? { holdMusicUrl: config.holdMusicUrl } : {}),
    });
  const providers = { twilio, ...(deps.providers?.asterisk ? { asterisk: deps.providers.asterisk } : {}) };
  const customers = new CustomerService(db.models, config.defaultCountry);
  const audit = new AuditService(db.models, clock);
  const queues = new QueueDirectory(db.models, { defaultCountry: config.defaultCountry });
  const supervisor = new SupervisorService({
    models: db.models,
    clock,
    realtime,
    logger,
    queues,
    dunningFigures: () => dunning.figures(),
  });
  // Dunning callbacks are checked against their case's rules when offered and dialed.
  const dialer = new CallbackDialer({
    models: db.models,
    clock,
    logger,
    realtime,
    providers,
    queues,
    options: { silentDialMs: config.callbacks.silentDialMs },
    guard: { check: (cb, now, moment) => dunning.checkCallback(cb, now, moment) },
  });
  const callbacks = new CallbackService({
    models: db.models,
    clock,
    customers,
    realtime,
    defaultCountry: config.defaultCountry,
  });
  const dunning = createDunningService({ config, db, logger, clock, sms: twilio, callbacks, audit, customers });
  const calls = new CallService({
    customers,
    stats: supervisor,
    queues,
    callbacks,
    dialer,
    outbound: (event) => dialer.onProviderEvent(event),
    models: db.models,
    clock,
    logger,
    realtime,
    providers,
    metrics,
    options: {
      defaultCountry: config.defaultCountry,
      offerAckTimeoutMs: config.offers.ackTimeoutMs,
      offerAcceptTimeoutMs: config.offers.acceptTimeoutMs,
      consoleGraceMs: config.presence.graceMs,
    },
  });
  const presence = new Presence({
    models: db.models,
    clock,
    io,
    logger,
    graceMs: config.presence.graceMs,
    listener: calls,
  });
  for (const provider of Object.values(providers)) provider.onEvent((event) => calls.handleEvent(event));
  dialer.onHoldingLegEnded = (callId, reason, end) => calls.callbackLegEnded(callId, reason, end);

  supervisor.start();
  // Calls whose hang-up was lost are asked about at their provider and ended (calls/reconcile.ts).
  calls.reconciler(config.calls.reconcile).start();
  // Offers whose timers went with a killed process are moved on by any process (calls/offers.ts).
  calls.sweepOverdueOffers(config.calls.offerSweepEveryMs);
  metrics.health.start();
  const name = deps.jobs?.name ?? processName();
  // The jobs read it to give way when the call path suffers (jobs/pacer.ts).
  const callPath = publishCallPath({ models: db.models, clock, logger, health: metrics.health, name });
  const runs = new JobRuns({ models: db.models, clock, name });
  const dunningScans =
    deps.jobs?.dunningScans ??
    localScans({
      service: dunning,
      runs,
      logger,
      ...(deps.jobs?.pace ? { pace: deps.jobs.pace } : {}),
    });
  io.on('connection', (socket) => {
    registerCallHandlers(socket, calls, callbacks, logger, () => databaseAway(db));
    socket.on('disconnect', () => void presence.disconnected(socket));
    // A console that (re)connects is present again, then learns its agent's own state.
    void presence
      .connected(socket)
      .then(() => db.models.User.findById(socket.data.userId, { state: 1, console: 1 }).lean())
      .then((u) => {
        if (!u?.state || !socket.connected) return;
        socket.emit('agent:state', {
          agentId: socket.data.userId,
          status: u.state.status,
          since: u.state.since.toISOString(),
          ...(u.state.reason ? { reason: u.state.reason } : {}),
          connected: u.console?.connected === true,
        });
      })
      .catch((err: unknown) => logger.error({ err }, 'sending own state failed'));
    void calls.replayOffers(socket).catch((err: unknown) => logger.error({ err }, 'replaying offers failed'));
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use(helmet());
  app.use(
    pinoHttp({
      logger,
      genReqId: (req) => (typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : randomUUID()),
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
    }),
  );
  app.use(bodyParsers());

  app.use(healthRoutes({ db }));
  app.use(metricsRoutes(metrics, config.metricsToken));
  // Past here everything needs the database: while it is away, 503 at once (http/database-gate.ts).
  app.use(['/api', '/telephony'], databaseGate(db));
  app.use(
    '/telephony/twilio',
    twilioRoutes(twilio, clock, (status) => dunning.onSmsStatus(status)),
  );
  const limits = loginLimits({ models: db.models, clock, logger, redisUrl: config.redisUrl });
  app.use('/api/auth', authRoutes({ auth, models: db.models, loginRateLimit: config.loginRateLimit, limits }));
  app.use('/api', userRoutes({ models: db.models, auth, audit, clock }));
  const crm = { models: db.models, auth, clock, customers, audit };
  app.use('/api/customers', customerRoutes(crm));
  app.use('/api/cases', caseRoutes(crm));
  app.use('/api/tasks', taskRoutes(crm));
  app.use('/api/audit', auditRoutes(crm));
  app.use('/api/settings', settingsRoutes(crm));
  app.use('/api/supervisor', supervisorRoutes({ auth, supervisor }));
  app.use('/api/queues', queueRoutes({ auth, queues, audit }));
  app.use('/api/dunning', dunningRoutes({ auth, dunning, scans: dunningScans, audit }));
  app.use(
    '/api/suggestions',
    suggestionRoutes({
      auth,
      audit,
      runs,
      ...(deps.jobs?.queueSuggestionsRun ? { queueFullRun: deps.jobs.queueSuggestionsRun } : {}),
    }),
  );
  app.use('/api/callbacks', callbackRoutes({ auth, callbacks, dialer, audit }));
  app.use('/api/calls', callRoutes({ auth, customers, dialer, audit, defaultCountry: config.defaultCountry }));
  app.use('/api/orders', orderRoutes({ ...crm, ...(deps.orderListener ? { listener: deps.orderListener } : {}) }));

  app.use(['/api', '/telephony'], notFoundHandler);
  app.use(consoleRoutes());
  app.use(errorHandler);
  return {
    express: app,
    io,
    realtime,
    auth,
    calls,
    supervisor,
    dialer,
    dunning,
    presence,
    metrics,
    twilio,
    callPath,
    loginLimits: limits,
  };
}
