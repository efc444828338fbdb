// What the dunning benchmark runs on: its day, the database cleared of earlier runs and warmed up,
// and the dunning service under test (reminders sent to the local stand-in of Twilio's REST API).
import { Types } from 'mongoose';
import { TwilioProvider } from '@ringside/telephony';
import type { TwilioRestServer } from '@ringside/telephony/testing';
import type { BenchDatabase } from '../bench-db';
import type { ManualClock } from '../../server/src/clock';
import { createLogger } from '../../server/src/logger';
import { CustomerService } from '../../server/src/customers/customers.service';
import { CallbackService } from '../../server/src/callbacks/callbacks.service';
import { AuditService } from '../../server/src/audit/audit.service';
import { DunningService } from '../../server/src/dunning/dunning.service';
import { DAY_MS } from '../../server/src/dunning/ladder';
import { n, seconds } from './report';

/** The day of the catch-up scan and of the built state: Monday 11:00 in Warsaw, the day after the seeded data's "now". */
export const DAY0 = new Date('2026-11-02T10:00:00Z');

/**
 * Removes what earlier runs of the ladder left: cases, documents, figures, its callbacks, audits and
 * contact history. True when there was any (pop summaries written meanwhile show it: rebuild them).
 */
export async function cleanSlate(bench: BenchDatabase): Promise<boolean> {
  const { models } = bench.db;
  const mongo = bench.db.conn.db;
  if (!mongo) throw new Error('no database');
  const hadCases = (await models.DunningCase.estimatedDocumentCount()) > 0;
  await Promise.all(
    ['dunningcases', 'dunningdocuments', 'dunningstats'].map((name) => mongo.dropCollection(name).catch(() => false)),
  );
  await models.DunningCase.createIndexes();
  await models.Callback.deleteMany({ source: 'dunning' });
  await models.Audit.deleteMany({ entity: 'dunning_case' });
  const legal = await models.Case.deleteMany({ number: { $regex: '^LEGAL-' } });
  // The ladder's reminders in the contact history (dated from the benchmark's day on; seeded ones are older).
  const reminders = await models.Interaction.deleteMany({
    at: { $gte: new Date(DAY0.getTime() - DAY_MS) },
    type: { $in: ['sms', 'letter'] },
    summary: { $regex: '^Payment reminder (\\(SMS to|letter:)' },
  });
  return hadCases || legal.deletedCount > 0 || reminders.deletedCount > 0;
}

/** Reads the overdue invoices once, untimed, so that the measured scans find the database's files in memory. */
export async function warmUp(bench: BenchDatabase): Promise<number> {
  const started = performance.now();
  let read = 0;
  for (let end = DAY0.getTime(); end > DAY0.getTime() - 400 * DAY_MS; end -= 20 * DAY_MS) {
    const page = await bench.db.models.Invoice.find(
      { status: 'open', dueAt: { $gte: new Date(end - 20 * DAY_MS), $lt: new Date(end) } },
      { customerId: 1 },
    ).lean();
    read += page.length;
    const ids = [...new Set(page.map((i) => i.customerId.toHexString()))]
      .slice(0, 5000)
      .map((id) => new Types.ObjectId(id));
    await bench.db.models.Customer.find({ _id: { $in: ids } }, { phones: 1 }).lean();
  }
  console.log(`warm-up (untimed): ${n(read)} open invoices read in ${seconds(performance.now() - started)}`);
  return read;
}

export function dunningService(
  bench: BenchDatabase,
  clock: ManualClock,
  twilioRest: TwilioRestServer,
  account: { accountSid: string; authToken: string },
  options: { batchSize: number; concurrency: number; renderWorkers?: number },
) {
  const { models } = bench.db;
  const mongo = bench.db.conn.db;
  if (!mongo) throw new Error('no database');
  const customers = new CustomerService(models, 'PL');
  return new DunningService({
    models,
    db: mongo,
    clock,
    logger: createLogger('warn'),
    sms: new TwilioProvider({ ...account, apiBase: twilioRest.url, publicUrl: 'https://ringside.example.com' }),
    callbacks: new CallbackService({ models, clock, customers, defaultCountry: 'PL' }),
    audit: new AuditService(models, clock),
    customers,
    options,
  });
}
