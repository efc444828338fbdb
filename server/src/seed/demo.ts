import type { Models } from '../db/models';
import type { Logger } from '../logger';
import { seedDatabase, seedDemoUsers } from './seed';

/** First start: demo users and a small demo customer base, once. Never in production. */
export async function seedDemoIfEmpty(models: Models, opts: { customers: number; logger: Logger }): Promise<void> {
  const settings = await models.Settings.findById('company').lean();
  if (settings?.demoSeededAt) return;
  opts.logger.info({ customers: opts.customers }, 'first start: loading demo data');
  await seedDemoUsers(models);
  const report = await seedDatabase(models, { customers: opts.customers, seed: 1, now: new Date() });
  await models.Settings.updateOne({ _id: 'company' }, { $set: { demoSeededAt: new Date() } }, { upsert: true });
  opts.logger.info(report, 'demo data loaded');
}
