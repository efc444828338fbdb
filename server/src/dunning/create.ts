// The dunning service as the configuration asks for it: the web process (its routes, the callback
// dialer's checks, delivery reports) and the worker (the scans) build it the same way.
import type { Config } from '../config/env';
import type { Database } from '../db/connection';
import type { Logger } from '../logger';
import type { Clock } from '../clock';
import type { AuditService } from '../audit/audit.service';
import type { CustomerService } from '../customers/customers.service';
import type { CallbackService } from '../callbacks/callbacks.service';
import { DunningService, type SmsGateway } from './dunning.service';

export function createDunningService(deps: {
  config: Config;
  db: Database;
  logger: Logger;
  clock: Clock;
  sms: SmsGateway;
  callbacks: CallbackService;
  audit: AuditService;
  customers: CustomerService;
}): DunningService {
  const { config, db } = deps;
  if (!db.conn.db) throw new Error('createDunningService: the database connection is not open');
  return new DunningService({
    models: db.models,
    db: db.conn.db,
    clock: deps.clock,
    logger: deps.logger,
    sms: deps.sms,
    callbacks: deps.callbacks,
    audit: deps.audit,
    customers: deps.customers,
    options: {
      ...(config.dunning.ladder ? { ladder: config.dunning.ladder } : {}),
      sms: { from: config.dunning.smsFrom ?? '+48221002000', messagingServiceSid: config.dunning.messagingServiceSid },
      stepLeaseMs: config.dunning.stepLeaseMs,
      ...(config.dunning.renderWorkers === undefined ? {} : { renderWorkers: config.dunning.renderWorkers }),
    },
  });
}
