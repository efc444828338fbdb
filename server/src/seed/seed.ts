import type { Models } from '../db/models';
import { hashPassword } from '../auth/auth.service';

export interface SeedOptions {
  customers: number;
  seed: number;
  onProgress?: (done: number, total: number) => void;
}
export interface SeedReport {
  customers: number;
  orders: number;
  invoices: number;
  payments: number;
  interactions: number;
  cases: number;
  ms: number;
}

export const DEMO_PASSWORD = 'ringside';

/** The demo users (agent1…agent5, supervisor, legal, admin), password `ringside`; idempotent. */
export async function seedDemoUsers(models: Models): Promise<void> {
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const users = [
    ...[1, 2, 3, 4, 5].map((n) => ({
      email: `agent${n}@ringside.test`,
      name: `Agent ${n}`,
      roles: ['agent'],
      skills: n <= 3 ? ['sales', 'support'] : ['collections', 'support'],
      endpoints: { twilio: `client:agent${n}`, asterisk: `Local/100${n}@agents` },
    })),
    { email: 'supervisor@ringside.test', name: 'Supervisor', roles: ['supervisor'], skills: [], endpoints: {} },
    { email: 'legal@ringside.test', name: 'Legal', roles: ['legal'], skills: [], endpoints: {} },
    { email: 'admin@ringside.test', name: 'Admin', roles: ['admin'], skills: [], endpoints: {} },
  ];
  await models.User.bulkWrite(
    users.map((u) => ({
      updateOne: {
        filter: { email: u.email },
        update: { $setOnInsert: { ...u, passwordHash, active: true, state: { status: 'offline', since: new Date() } } },
        upsert: true,
      },
    })),
  );
}

/** Placeholder until the generator lands: the seed generator replaces this. */
export async function seedDatabase(_models: Models, _opts: SeedOptions): Promise<SeedReport> {
  throw new Error('not implemented');
}
