import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startDatabase, type RunningDatabase } from '../db/embedded-db.mjs';
import { connectDatabase, type Database } from '../db/connection';
import { startTestServer, type TestServer } from '../testing/harness';

// This file runs its own database server, so that it can stop and restart it.
let dir: string;
let port: number;
let database: RunningDatabase;
let db: Database;
let server: TestServer;

const health = async () => {
  const res = await fetch(`${server.url}/healthz`);
  return { status: res.status, body: (await res.json()) as unknown };
};

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ringside-health-'));
  port = await freePort();
  database = await startDatabase({ dataDir: dir, port, logFileMax: '16MB', env: { ...process.env, MONGODB_URI: '' } });
  db = await connectDatabase(database.uri, { serverSelectionTimeoutMS: 2000 });
  server = await startTestServer({ db });
});

afterAll(async () => {
  await server.stop();
  await db.close();
  await database.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('reports ok, then down with a non-200 while the database is stopped, then ok again', async () => {
  expect(await health()).toEqual({ status: 200, body: { status: 'ok', db: 'ok' } });

  await database.stop();
  expect(await health()).toEqual({ status: 503, body: { status: 'degraded', db: 'down' } });

  database = await startDatabase({ dataDir: dir, port, logFileMax: '16MB', env: { ...process.env, MONGODB_URI: '' } });
  await until(async () => (await health()).status === 200, 30_000);
  expect(await health()).toEqual({ status: 200, body: { status: 'ok', db: 'ok' } });
});
