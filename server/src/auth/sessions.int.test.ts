// Sessions end when they should, at once: logout, an admin ending one, deactivation, deletion,
// a change of roles, skills or password. The token stops working on HTTP and the session's
// sockets are disconnected, on every server process (two servers on one Redis). No constant
// secret signs anything, and a token whose subject is not a user id is a 401, never a 500.
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as connectSocket, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '@ringside/shared';
import { ManualClock } from '../clock';
import { startTestServer, type TestServer } from '../testing/harness';
import { startRedis } from '../testing/redis';
import { until } from '../testing/calls-harness';
import { DEMO_PASSWORD, seedDemoUsers } from '../seed/seed';
import { SESSION_CACHE_MS } from './sessions';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** What the answers here may hold. */
interface Answer {
  token?: string;
  error?: { code: string; message: string };
  user?: { id: string; active: boolean };
  users?: Array<{ email: string }>;
  sessions?: Array<{ id: string; userAgent?: string }>;
  sessionsEnded?: number;
  entries?: unknown[];
}

// Moved by hand past the session cache, for a user switched off in the database directly.
const clock = new ManualClock(new Date());
let redis: Awaited<ReturnType<typeof startRedis>>;
let a: TestServer;
let b: TestServer;
let admin = '';
let agentIds: Record<string, string> = {};

async function call(server: TestServer, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Answer };
}

async function login(email: string, password = DEMO_PASSWORD, server = a): Promise<string> {
  const res = await call(server, 'POST', '/api/auth/login', undefined, { email, password });
  expect(res.status).toBe(200);
  return res.body.token as string;
}

async function openSocket(server: TestServer, token: string): Promise<ClientSocket> {
  const socket: ClientSocket = connectSocket(server.url, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return socket;
}

const disconnected = (socket: ClientSocket) =>
  until(async () => !socket.connected, 5000, 'the session’s socket to be disconnected');

beforeAll(async () => {
  redis = await startRedis();
  const env = { REDIS_URL: redis.url };
  await until(
    async () => {
      try {
        a = await startTestServer({ env, clock });
        return true;
      } catch {
        return false; // Redis still starting
      }
    },
    10_000,
    'first server with Redis',
  );
  b = await startTestServer({ db: a.db, env, clock });
  await seedDemoUsers(a.db.models);
  admin = await login('admin@ringside.test');
  const users = await a.db.models.User.find({}, { email: 1 }).lean();
  agentIds = Object.fromEntries(users.map((u) => [u.email, u._id.toString()]));
}, 60_000);

afterAll(async () => {
  await b?.stop();
  await a?.stop();
  await a?.db.close();
  redis?.stop();
});

describe('no known secret signs anything', () => {
  it('refuses an admin token signed with the constant earlier versions signed with', async () => {
    const forged = jwt.sign(
      { sub: agentIds['admin@ringside.test'], roles: ['admin'], name: 'Forged' },
      'ringside-development-only-secret-change-me',
    );
    expect((await call(a, 'GET', '/api/users', forged)).status).toBe(401);
  });

  it('answers 401, not 500, for a well-signed token whose subject is not a user id or that names no session', async () => {
    const secret = a.config.jwt.secret;
    const notAnId = jwt.sign({ sub: 'x', sid: 'a'.repeat(24), roles: ['admin'], name: 'X' }, secret);
    const noSession = jwt.sign({ sub: agentIds['admin@ringside.test'], roles: ['admin'], name: 'X' }, secret);
    const madeUpSession = jwt.sign(
      { sub: agentIds['admin@ringside.test'], sid: 'b'.repeat(24), roles: ['admin'], name: 'X' },
      secret,
    );
    for (const token of [notAnId, noSession, madeUpSession]) {
      const res = await call(a, 'GET', '/api/users', token);
      expect(res.status).toBe(401);
      expect(res.body.error?.code).toBe('unauthorized');
    }
    const socket = connectSocket(a.url, {
      auth: { token: madeUpSession },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    const refused = await new Promise<string>((resolve) => socket.once('connect_error', (e) => resolve(e.message)));
    expect(refused).toMatch(/^unauthorized: this session has ended/);
    socket.close();
  });
});

describe('ending sessions', () => {
  it('logout ends this session only: its token and sockets stop on both servers, another session goes on', async () => {
    const first = await login('agent1@ringside.test');
    const second = await login('agent1@ringside.test', DEMO_PASSWORD, b);
    const onA = await openSocket(a, first);
    const onB = await openSocket(b, first);
    expect((await call(b, 'GET', '/api/auth/me', first)).status).toBe(200); // cached as open on b

    expect((await call(a, 'POST', '/api/auth/logout', first)).status).toBe(204);
    await disconnected(onA);
    await disconnected(onB);
    expect((await call(a, 'GET', '/api/auth/me', first)).status).toBe(401);
    expect((await call(b, 'GET', '/api/auth/me', first)).status).toBe(401);
    expect((await call(a, 'POST', '/api/auth/logout', first)).status).toBe(401);
    expect((await call(b, 'GET', '/api/auth/me', second)).status).toBe(200);
  });

  it('an admin lists a user’s sessions and ends one; it is audited', async () => {
    const token = await login('agent2@ringside.test');
    const socket = await openSocket(b, token);
    const listed = await call(a, 'GET', `/api/users/${agentIds['agent2@ringside.test']}/sessions`, admin);
    expect(listed.status).toBe(200);
    expect(listed.body.sessions).toHaveLength(1);
    const [session] = listed.body.sessions as Array<{ id: string; userAgent?: string }>;
    expect(session?.userAgent).toBeTruthy();

    expect((await call(a, 'DELETE', `/api/sessions/${session!.id}`, admin)).status).toBe(204);
    await disconnected(socket);
    expect((await call(b, 'GET', '/api/auth/me', token)).status).toBe(401);
    expect((await call(a, 'DELETE', `/api/sessions/${session!.id}`, admin)).status).toBe(404);
    const legal = await login('legal@ringside.test');
    expect((await call(a, 'DELETE', `/api/sessions/${session!.id}`, legal)).status).toBe(403);
    const audit = await call(a, 'GET', `/api/audit?entity=session&entityId=${session!.id}`, admin);
    expect(audit.body.entries).toHaveLength(1);
  });

  it('deactivating a user ends their sessions at once and they cannot sign in; reactivated, they can', async () => {
    const id = agentIds['agent3@ringside.test']!;
    const token = await login('agent3@ringside.test');
    const socket = await openSocket(b, token);
    expect((await call(b, 'GET', '/api/customers?q=kow', token)).status).toBe(200);

    const off = await call(a, 'PATCH', `/api/users/${id}`, admin, { active: false });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ user: { active: false }, sessionsEnded: 1 });
    await disconnected(socket);
    expect((await call(b, 'GET', '/api/customers?q=kow', token)).status).toBe(401);
    const refused = await call(a, 'POST', '/api/auth/login', undefined, {
      email: 'agent3@ringside.test',
      password: DEMO_PASSWORD,
    });
    expect(refused.status).toBe(401);

    expect((await call(a, 'PATCH', `/api/users/${id}`, admin, { active: true })).status).toBe(200);
    await login('agent3@ringside.test');
  });

  it('a user switched off in the database by other means is out within the cache period', async () => {
    const token = await login('agent4@ringside.test');
    expect((await call(a, 'GET', '/api/auth/me', token)).status).toBe(200);
    await a.db.models.User.updateOne({ email: 'agent4@ringside.test' }, { $set: { active: false } });
    clock.advance(SESSION_CACHE_MS + 1);
    expect((await call(a, 'GET', '/api/auth/me', token)).status).toBe(401);
    await a.db.models.User.updateOne({ email: 'agent4@ringside.test' }, { $set: { active: true } });
  });

  it('a deleted user’s token no longer reads supervisor figures; they are gone from the lists', async () => {
    const created = await call(a, 'POST', '/api/users', admin, {
      email: 'temp.supervisor@ringside.test',
      name: 'Temp Supervisor',
      password: 'long-enough-1',
      roles: ['supervisor'],
    });
    expect(created.status).toBe(201);
    const token = await login('temp.supervisor@ringside.test', 'long-enough-1');
    expect((await call(b, 'GET', '/api/supervisor/stats', token)).status).toBe(200);
    expect((await call(a, 'DELETE', `/api/users/${created.body.user?.id}`, admin)).status).toBe(204);
    expect((await call(b, 'GET', '/api/supervisor/stats', token)).status).toBe(401);
    const users = await call(a, 'GET', '/api/users', admin);
    expect((users.body.users as Array<{ email: string }>).map((u) => u.email)).not.toContain(
      'temp.supervisor@ringside.test',
    );
    expect((await call(a, 'PATCH', `/api/users/${created.body.user?.id}`, admin, { name: 'Back' })).status).toBe(404);
  });

  it('a change of roles, skills or password ends the sessions; a change of name does not', async () => {
    const id = agentIds['agent5@ringside.test']!;
    const cases: Array<[Record<string, unknown>, boolean]> = [
      [{ name: 'Agent Five' }, false],
      [{ roles: ['agent', 'supervisor'] }, true],
      [{ skills: ['support', 'collections', 'sales'] }, true],
      [{ password: 'a-new-password' }, true],
    ];
    let password = DEMO_PASSWORD;
    for (const [change, ends] of cases) {
      const token = await login('agent5@ringside.test', password);
      const res = await call(a, 'PATCH', `/api/users/${id}`, admin, change);
      expect(res.status).toBe(200);
      if (ends) expect(res.body.sessionsEnded).toBeGreaterThanOrEqual(1);
      else expect(res.body.sessionsEnded).toBe(0);
      expect((await call(b, 'GET', '/api/auth/me', token)).status).toBe(ends ? 401 : 200);
      if (typeof change.password === 'string') password = change.password;
    }
    await login('agent5@ringside.test', 'a-new-password');
    const audit = await call(a, 'GET', `/api/audit?entity=user&entityId=${id}`, admin);
    expect(JSON.stringify(audit.body)).not.toContain('a-new-password');
    expect(audit.body.entries?.length).toBeGreaterThanOrEqual(4);
  });

  it('an admin cannot lock themselves out; bad changes get a reason', async () => {
    const me = agentIds['admin@ringside.test']!;
    expect((await call(a, 'PATCH', `/api/users/${me}`, admin, { active: false })).status).toBe(409);
    expect((await call(a, 'PATCH', `/api/users/${me}`, admin, { roles: ['agent'] })).status).toBe(409);
    expect((await call(a, 'DELETE', `/api/users/${me}`, admin)).status).toBe(409);
    const bad = await call(a, 'PATCH', `/api/users/${me}`, admin, { roles: ['king'], email: 'x' });
    expect(bad.status).toBe(400);
    expect((await call(a, 'PATCH', `/api/users/${me}`, admin, {})).status).toBe(400);
    expect((await call(a, 'PATCH', '/api/users/not-an-id', admin, { name: 'X' })).status).toBe(400);
    expect((await call(a, 'PATCH', `/api/users/${'0'.repeat(24)}`, admin, { name: 'X' })).status).toBe(404);
  });
});
