// The edges: failed sign-ins are limited per account from any address and per address over every
// account, counted where every process sees them (the database, or Redis with REDIS_URL);
// TRUST_PROXY says whose X-Forwarded-For is believed; /metrics is for the scraper with the token;
// a socket opens only from the console's own origin, PUBLIC_URL's or ALLOWED_ORIGINS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as connectSocket } from 'socket.io-client';
import { startTestServer, type TestServer } from '../testing/harness';
import { startRedis } from '../testing/redis';
import { until } from '../testing/calls-harness';
import { DEMO_PASSWORD, seedDemoUsers } from '../seed/seed';

const LIMIT = 3;
const servers: TestServer[] = [];
let redis: Awaited<ReturnType<typeof startRedis>> | undefined;

async function start(env: NodeJS.ProcessEnv, db?: TestServer['db']): Promise<TestServer> {
  const server = await startTestServer({ env: { LOGIN_RATE_LIMIT: String(LIMIT), ...env }, ...(db ? { db } : {}) });
  servers.push(server);
  return server;
}

const login = (server: TestServer, email: string, password: string, from?: string) =>
  fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(from ? { 'x-forwarded-for': from } : {}) },
    body: JSON.stringify({ email, password }),
  }).then((r) => r.status);

afterAll(async () => {
  for (const s of servers.reverse()) await s.stop();
  await servers[servers.length - 1]?.db.close();
  redis?.stop();
});

describe('sign-in limits', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    a = await start({});
    b = await start({}, a.db);
    await seedDemoUsers(a.db.models);
  });

  it('counts one account’s failures from every address and on every server (the database keeps the count)', async () => {
    const statuses = [];
    for (let i = 0; i < LIMIT + 1; i++)
      statuses.push(await login(i % 2 ? b : a, 'agent1@ringside.test', `guess-${i}`, `198.51.100.${i + 1}`));
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect(await login(b, 'agent1@ringside.test', DEMO_PASSWORD, '198.51.100.77')).toBe(429);
    expect(await login(a, 'agent2@ringside.test', DEMO_PASSWORD, '198.51.100.1')).toBe(200);
  });

  it('counts one address’s failures over every account, and lets other addresses in', async () => {
    const statuses = [];
    for (let i = 0; i < LIMIT * 5 + 1; i++)
      statuses.push(await login(i % 2 ? b : a, `nobody${i}@ringside.test`, 'guess', '203.0.113.9'));
    expect(statuses.slice(0, LIMIT * 5).every((s) => s === 401)).toBe(true);
    expect(statuses[LIMIT * 5]).toBe(429);
    expect(await login(a, 'agent3@ringside.test', DEMO_PASSWORD, '203.0.113.9')).toBe(429);
    expect(await login(a, 'agent3@ringside.test', DEMO_PASSWORD, '203.0.113.10')).toBe(200);
  });

  it('believes X-Forwarded-For only from trusted proxies (TRUST_PROXY=false: never)', async () => {
    const strict = await start({ TRUST_PROXY: 'false', LOGIN_RATE_LIMIT: '1' }, a.db);
    // Every made-up address is the same client: the per-address count (5) stops it.
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push(await login(strict, `someone${i}@ringside.test`, 'x', `192.0.2.${i}`));
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('shares the counts through Redis when REDIS_URL is set', async () => {
    redis = await startRedis();
    const env = { REDIS_URL: redis.url };
    let r1: TestServer | undefined;
    await until(
      async () => {
        try {
          r1 = await start(env, a.db);
          return true;
        } catch {
          return false; // Redis still starting
        }
      },
      10_000,
      'a server with Redis',
    );
    const r2 = await start(env, a.db);
    const statuses = [];
    for (let i = 0; i < LIMIT + 1; i++)
      statuses.push(await login(i % 2 ? r2 : r1!, 'agent4@ringside.test', `guess-${i}`, `198.18.0.${i + 1}`));
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect(await a.db.models.LoginAttempts.countDocuments({ _id: 'account:agent4@ringside.test' })).toBe(0);
  });
});

describe('metrics and socket origins', () => {
  let server: TestServer;
  let token = '';
  beforeAll(async () => {
    server = await start({
      METRICS_TOKEN: 'scrape-token-0123456789',
      PUBLIC_URL: 'https://cc.example.com',
      ALLOWED_ORIGINS: 'https://wallboard.example.com',
    });
    await seedDemoUsers(server.db.models);
    const res = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'agent1@ringside.test', password: DEMO_PASSWORD }),
    });
    token = ((await res.json()) as { token: string }).token;
  });

  it('serves /metrics to the scraper with the token only, and not at all without a METRICS_TOKEN', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${server.url}/metrics`, {
      headers: { authorization: 'Bearer scrape-token-0123456780' },
    });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${server.url}/metrics`, {
      headers: { authorization: 'Bearer scrape-token-0123456789' },
    });
    expect(right.status).toBe(200);
    expect(await right.text()).toContain('ringside_');
    const off = await start({});
    expect((await fetch(`${off.url}/metrics`)).status).toBe(404);
  });

  it('opens a socket from the page’s own origin, PUBLIC_URL’s and ALLOWED_ORIGINS, or without an Origin; never from elsewhere', async () => {
    const attempt = (origin?: string) =>
      new Promise<string>((resolve) => {
        const socket = connectSocket(server.url, {
          auth: { token },
          transports: ['websocket'],
          reconnection: false,
          forceNew: true,
          ...(origin ? { extraHeaders: { origin } } : {}),
        });
        socket.once('connect', () => {
          socket.close();
          resolve('connected');
        });
        socket.once('connect_error', () => {
          socket.close();
          resolve('refused');
        });
      });
    expect(await attempt()).toBe('connected');
    expect(await attempt(server.url)).toBe('connected');
    expect(await attempt('https://cc.example.com')).toBe('connected');
    expect(await attempt('https://wallboard.example.com')).toBe('connected');
    expect(await attempt('https://evil.example.net')).toBe('refused');
    expect(await attempt('null')).toBe('refused');
  });
});
