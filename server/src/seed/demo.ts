import type { Models } from '../db/models';
import { upsertWrite } from '../db/upsert';
import type { Logger } from '../logger';
import { DEMO_PASSWORD, seedDatabase, seedDemoUsers } from './seed';

/**
 * First start: demo users and a small demo customer base, once. Never in production.
 * True when it loaded them now (the first start), false when they were there already.
 */
export async function seedDemoIfEmpty(models: Models, opts: { customers: number; logger: Logger }): Promise<boolean> {
  const settings = await models.Settings.findById('company').lean();
  if (settings?.demoSeededAt) return false;
  opts.logger.info({ customers: opts.customers }, 'first start: loading demo data');
  await seedDemoUsers(models);
  const report = await seedDatabase(models, { customers: opts.customers, seed: 1, now: new Date() });
  await upsertWrite(() =>
    models.Settings.updateOne({ _id: 'company' }, { $set: { demoSeededAt: new Date() } }, { upsert: true }),
  );
  opts.logger.info(report, 'demo data loaded');
  return true;
}

/** The three steps to a first call, as the README's "Your first call" says them. */
export function firstCallSteps(consoleUrl: string): string[] {
  return [
    `open the console: ${consoleUrl}`,
    `sign in as agent1@ringside.test / ${DEMO_PASSWORD} and press Available`,
    'in another terminal, run `npm run call`: a demo customer with something overdue rings, and the pop is on screen',
  ];
}

/** Logged once the server is up after loading the demo data: how a newcomer gets a first call. */
export function logFirstCallSteps(logger: Pick<Logger, 'info'>, consoleUrl: string): void {
  firstCallSteps(consoleUrl).forEach((step, i, all) =>
    logger.info(`your first call, ${i + 1} of ${all.length}: ${step}`),
  );
}
