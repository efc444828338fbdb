// The run's agents, signed in with `POST /api/auth/login` through the load balancer, and the
// console keys that spread them over both server processes.
import { randomBytes } from 'node:crypto';
import { loginResponseSchema } from '@ringside/shared';
import { hashPassword } from '../../server/src/auth/auth.service';
import type { Models } from '../../server/src/db/models';

/** Signs in through nginx; the token. */
export async function login(url: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`login of ${email} answered ${res.status}: ${await res.text()}`);
  return loginResponseSchema.parse(await res.json()).token;
}

/**
 * `agent1@faults.ringside.test` … `agentN@…`: skill `support` (the default queue), a Twilio client
 * each, written to the database with one password hash (as `POST /api/users` would store them, without
 * N bcrypt rounds); then each signs in through nginx.
 */
export async function createAgents(
  url: string,
  models: Models,
  n: number,
): Promise<Array<{ id: string; email: string; token: string }>> {
  const password = randomBytes(12).toString('base64url');
  const passwordHash = await hashPassword(password);
  const created = await models.User.insertMany(
    Array.from({ length: n }, (_, i) => ({
      email: `agent${i + 1}@faults.ringside.test`,
      name: `Fault Agent ${i + 1}`,
      roles: ['agent'],
      skills: ['support'],
      endpoints: { twilio: `client:faultagent${i + 1}` },
      passwordHash,
      active: true,
      state: { status: 'offline', since: new Date() },
    })),
  );
  const agents: Array<{ id: string; email: string; token: string }> = [];
  for (let start = 0; start < created.length; start += 4) {
    const batch = created.slice(start, start + 4);
    agents.push(
      ...(await Promise.all(
        batch.map(async (u) => ({ id: u._id.toString(), email: u.email, token: await login(url, u.email, password) })),
      )),
    );
  }
  return agents;
}

/**
 * Console keys that nginx's hash sends half to each server process: a key's process is where
 * `/whereis?console=KEY` answered from.
 */
export async function balancedKeys(
  url: string,
  nodeOf: (upstream: string | null) => string | undefined,
  n: number,
): Promise<Array<{ key: string; node: string }>> {
  const byNode = new Map<string, Array<{ key: string; node: string }>>();
  for (let i = 0; i < n * 20; i++) {
    const key = `console-${i}`;
    const res = await fetch(`${url}/whereis?console=${key}`);
    await res.arrayBuffer();
    const node = nodeOf(res.headers.get('x-upstream'));
    if (!node) continue;
    const list = byNode.get(node) ?? [];
    list.push({ key, node });
    byNode.set(node, list);
    const lists = [...byNode.values()];
    if (lists.length === 2 && lists.every((l) => l.length >= Math.ceil(n / 2))) break;
  }
  const lists = [...byNode.values()];
  // Alternate a, b, a, b… so that any first k consoles are spread too.
  const keys: Array<{ key: string; node: string }> = [];
  for (let i = 0; keys.length < n && i < n; i++) {
    for (const l of lists) {
      const entry = l[i];
      if (entry && keys.length < n) keys.push(entry);
    }
  }
  if (keys.length < n) throw new Error('nginx did not spread console keys over both servers');
  return keys;
}
