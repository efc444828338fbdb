// bench:pop's set-up: the benchmark agents, each with a session and a token of its own, and the
// numbers callers ring from.
import jwt from 'jsonwebtoken';
import type { Database } from '../../server/src/db/connection';
import { hashPassword } from '../../server/src/auth/auth.service';
import { SessionStore } from '../../server/src/auth/sessions';
import { systemClock } from '../../server/src/clock';

export async function ensureAgents(
  db: Database,
  n: number,
  secret: string,
): Promise<Array<{ id: string; name: string; token: string }>> {
  const passwordHash = await hashPassword('ringside');
  const ops = Array.from({ length: n }, (_, i) => ({
    updateOne: {
      filter: { email: `bench-agent-${i + 1}@ringside.test` },
      update: {
        $set: {
          name: `Bench Agent ${i + 1}`,
          roles: ['agent'],
          skills: ['support', 'collections', 'sales'],
          endpoints: { twilio: `client:bench${i + 1}`, asterisk: `Local/${2000 + i}@agents` },
          state: { status: 'offline', since: new Date() },
          active: true,
        },
        $setOnInsert: { passwordHash },
      },
      upsert: true,
    },
  }));
  await db.models.User.bulkWrite(ops);
  // A clean line: calls left by an earlier run would be served first (arrival order).
  await db.models.Call.deleteMany({});
  // Only bench agents take calls during the run.
  await db.models.User.updateMany({ email: { $not: /^bench-agent-/ } }, { $set: { 'state.status': 'offline' } });
  const users = await db.models.User.find({ email: /^bench-agent-/ }, { name: 1 }).lean();
  // Each console signs in with a session of its own, as a login makes (without 500 password checks).
  const sessions = new SessionStore(db.models, systemClock);
  const expiresAt = new Date(Date.now() + 6 * 3_600_000);
  return Promise.all(
    users.map(async (u) => {
      const claims = { sub: u._id.toString(), sid: await sessions.open(u._id.toString(), expiresAt), roles: ['agent'] };
      const token = jwt.sign({ ...claims, name: u.name }, secret, { expiresIn: '6h' });
      return { id: u._id.toString(), name: u.name, token };
    }),
  );
}

/** Raw phone numbers as callers present them: 90 % known customers, 10 % unknown. */
export async function callerNumbers(db: Database): Promise<string[]> {
  const docs = await db.models.Customer.find({}, { phones: 1 }).limit(20_000).lean();
  const known = docs.flatMap((d) => d.phones.map((p) => p.e164));
  const unknown = Array.from(
    { length: Math.ceil(known.length / 9) },
    (_, i) => `+48500${String(900000 + i).padStart(6, '0')}`,
  );
  return [...known, ...unknown];
}
