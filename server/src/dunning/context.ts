// What every dunning module works with: the service's dependencies, its settings, this process's claim owner, documents and figures.
import { randomUUID } from 'node:crypto';
import type { mongo } from 'mongoose';
import type { Models } from '../db/models';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { AuditInput, AuditService } from '../audit/audit.service';
import type { CallbackService } from '../callbacks/callbacks.service';
import type { CustomerService } from '../customers/customers.service';
import { DEFAULT_DUNNING_OPTIONS, type DunningOptions, type SmsGateway } from './options';
import { DocumentStore } from './documents';
import { RenderPool } from './render-pool';
import { DunningFigures } from './figures';

/** What `DunningService` is built from. */
export interface DunningDeps {
  models: Models;
  db: mongo.Db;
  clock: Clock;
  logger: Logger;
  sms: SmsGateway;
  callbacks: Pick<CallbackService, 'scheduleFor'>;
  audit: Pick<AuditService, 'recordMany'>;
  customers: Pick<CustomerService, 'abilityFor'>;
  options?: Partial<DunningOptions>;
}

export interface DunningContext {
  models: Models;
  clock: Clock;
  logger: Logger;
  sms: SmsGateway;
  callbacks: Pick<CallbackService, 'scheduleFor'>;
  audit: Pick<AuditService, 'recordMany'>;
  customers: Pick<CustomerService, 'abilityFor'>;
  options: DunningOptions;
  /** This service's name on the steps it claims (one per process). */
  owner: string;
  documents: DocumentStore;
  renderer: RenderPool;
  figures: DunningFigures;
}

export function createContext(deps: DunningDeps): DunningContext {
  const options = { ...DEFAULT_DUNNING_OPTIONS, ...deps.options };
  return {
    models: deps.models,
    clock: deps.clock,
    logger: deps.logger,
    sms: deps.sms,
    callbacks: deps.callbacks,
    audit: deps.audit,
    customers: deps.customers,
    options,
    owner: randomUUID(),
    documents: new DocumentStore(deps.db),
    renderer: new RenderPool({ size: options.renderWorkers, idleMs: 60_000 }, deps.logger),
    figures: new DunningFigures(deps.db.collection('dunningstats'), deps.logger),
  };
}

export async function auditMany(ctx: DunningContext, entries: AuditInput[]): Promise<void> {
  if (entries.length) await ctx.audit.recordMany(entries);
}
