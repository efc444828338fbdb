import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as connectSocket, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '@ringside/shared';
import { startTestServer, type TestServer } from '../testing/harness';
import { DEMO_PASSWORD, seedDemoUsers } from '../seed/seed';

let server: TestServer;

async function post(path: string, body: unknown, token?: string) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function get(path: string, token?: string) {
  const res = await fetch(`${server.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function login(email: string, password = DEMO_PASSWORD): Promise<string> {
  const res = await post('/api/auth/login', { email, password });
  expect(res.status).toBe(200);
  return res.body.token as string;
}

beforeAll(async () => {
  server = await startTestServer({ env: { LOGIN_RATE_LIMIT: '4' } });
  await seedDemoUsers(server.db.models);
});
afterAll(async () => {
  await server.stop();
  await server.db.close();
});

describe('POST /api/auth/login', () => {
  it('answers a token and the user, never the password hash', async () => {
    const res = await post('/api/auth/login', { email: 'Agent1@Ringside.test', password: DEMO_PASSWORD });
    expect(res.status).toBe(200);
    expect(typeof res.body.token).toBe('string');
    expect(res.body.user).toMatchObject({ email: 'agent1@ringside.test', name: 'Agent 1', roles: ['agent'] });
    expect(JSON.stringify(res.body)).not.toMatch(/\$2[aby]\$/);
  });

  it('answers a wrong password and an unknown user the same way', async () => {
    const wrong = await post('/api/auth/login', { email: 'agent2@ringside.test', password: 'not-it' });
    const unknown = await post('/api/auth/login', { email: 'nobody@ringside.test', password: 'not-it' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body).toEqual({ error: { code: 'unauthorized', message: 'invalid email or password' } });
  });

  it('rejects malformed bodies with a reason', async () => {
    const noEmail = await post('/api/auth/login', { password: 'x' });
    expect(noEmail.status).toBe(400);
    expect((noEmail.body.error as { message: string }).message).toMatch(/email/);
    const notJson = await post('/api/auth/login', '{"email": ');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toMatchObject({ code: 'bad_request', message: 'request body is not valid JSON' });
  });

  it('rate-limits repeated failures for an account and still lets others in', async () => {
    const attempts = [];
    for (let i = 0; i < 5; i++)
      attempts.push((await post('/api/auth/login', { email: 'agent3@ringside.test', password: `guess-${i}` })).status);
    expect(attempts).toEqual([401, 401, 401, 401, 429]);
    const limited = await post('/api/auth/login', { email: 'agent3@ringside.test', password: DEMO_PASSWORD });
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ code: 'rate_limited' });
    await login('agent4@ringside.test');
  });
});

describe('tokens and roles', () => {
  it('authenticates the API with the token and refuses a forged one', async () => {
    const token = await login('agent1@ringside.test');
    const me = await get('/api/auth/me', token);
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ email: 'agent1@ringside.test' });
    expect((await get('/api/auth/me')).status).toBe(401);
    expect((await get('/api/auth/me', `${token.slice(0, -3)}abc`)).status).toBe(401);
  });

  it('lets each role reach only its routes', async () => {
    const agent = await login('agent1@ringside.test');
    const supervisor = await login('supervisor@ringside.test');
    const admin = await login('admin@ringside.test');
    const legal = await login('legal@ringside.test');

    expect((await get('/api/users', agent)).status).toBe(403);
    expect((await get('/api/users', supervisor)).status).toBe(403);
    expect((await get('/api/users', legal)).status).toBe(403);
    const users = await get('/api/users', admin);
    expect(users.status).toBe(200);
    expect((users.body.users as unknown[]).length).toBe(8);

    const agents = await get('/api/agents', supervisor);
    expect(agents.status).toBe(200);
    expect((agents.body.agents as Array<{ email: string }>).map((a) => a.email)).toEqual(
      [1, 2, 3, 4, 5].map((n) => `agent${n}@ringside.test`),
    );
    expect((await get('/api/agents', agent)).status).toBe(403);
  });

  it('lets an admin create users, with validation and no duplicates', async () => {
    const admin = await login('admin@ringside.test');
    const bad = await post('/api/users', { email: 'x', name: '', password: 'short', roles: [] }, admin);
    expect(bad.status).toBe(400);
    expect((bad.body.error as { message: string }).message).toMatch(/email.*name.*password.*roles/s);
    const created = await post(
      '/api/users',
      { email: 'agent9@ringside.test', name: 'Agent 9', password: 'long-enough', roles: ['agent'] },
      admin,
    );
    expect(created.status).toBe(201);
    const again = await post(
      '/api/users',
      { email: 'AGENT9@ringside.test', name: 'Agent 9b', password: 'long-enough', roles: ['agent'] },
      admin,
    );
    expect(again.status).toBe(409);
    await login('agent9@ringside.test', 'long-enough');
  });
});

describe('Socket.IO authentication', () => {
  const open = (auth: Record<string, unknown>): Socket<ServerToClientEvents, ClientToServerEvents> =>
    connectSocket(server.url, { auth, transports: ['websocket'], reconnection: false, forceNew: true });

  it('accepts the login token', async () => {
    const token = await login('agent2@ringside.test');
    const socket = open({ token });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    expect(socket.connected).toBe(true);
    socket.close();
  });

  it('works over HTTP long-polling, the first transport of browsers', async () => {
    const token = await login('agent5@ringside.test');
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = connectSocket(server.url, {
      auth: { token },
      transports: ['polling'],
      reconnection: false,
      forceNew: true,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    expect(socket.io.engine.transport.name).toBe('polling');
    const ack = await new Promise((resolve) => socket.emit('call:accept', { callId: '' }, resolve));
    expect(ack).toMatchObject({ ok: false, code: 'bad_request' });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    socket.close();
  });

  it('refuses a missing or invalid token', async () => {
    for (const auth of [{}, { token: 'not-a-jwt' }]) {
      const socket = open(auth);
      const err = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
      expect(err.message).toMatch(/^unauthorized/);
      socket.close();
    }
  });
});
