import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import mongoose from 'mongoose';
import { resolveDatabase, startDatabase } from './embedded-db.mjs';

const scratch = mkdtempSync(join(tmpdir(), 'ringside-launcher-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const embedded = { ...process.env, MONGODB_URI: '' };

async function withClient<T>(uri: string, fn: (client: mongoose.mongo.MongoClient) => Promise<T>): Promise<T> {
  const client = await new mongoose.mongo.MongoClient(uri, { serverSelectionTimeoutMS: 5000 }).connect();
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

describe('embedded database launcher', () => {
  it('keeps data across restarts, shares a running server, and stops cleanly', async () => {
    const dataDir = join(scratch, 'db');
    const first = await startDatabase({ dataDir, env: embedded, logFileMax: '16MB' });
    expect(first.kind).not.toBe('uri');
    await withClient(first.uri, (c) =>
      c
        .db()
        .collection('things')
        .insertOne({ _id: 'kept' as never, n: 1 }),
    );

    const second = await startDatabase({ dataDir, env: embedded });
    expect(second.port).toBe(first.port);
    await second.stop(); // a shared server is not stopped by its guest
    expect(await withClient(first.uri, (c) => c.db().collection('things').countDocuments())).toBe(1);

    await first.stop();
    expect(existsSync(join(dataDir, 'server.pid'))).toBe(false);

    const again = await startDatabase({ dataDir, env: embedded });
    const doc = await withClient(again.uri, (c) =>
      c
        .db()
        .collection('things')
        .findOne({ _id: 'kept' as never }),
    );
    expect(doc).toMatchObject({ n: 1 });
    await again.stop();
  });

  it('uses MONGODB_URI as it is, and says what is missing otherwise', () => {
    expect(resolveDatabase({ MONGODB_URI: 'mongodb://db:27017/x' })).toEqual({
      kind: 'uri',
      uri: 'mongodb://db:27017/x',
    });
    const missing = resolveDatabase({ PATH: '/nonexistent', RINGSIDE_CACHE_DIR: join(scratch, 'empty-cache') });
    expect(missing.kind).toBe('missing');
    expect(missing.kind === 'missing' && missing.reason).toMatch(
      /no MONGODB_URI, no mongod on PATH and no secantusd-rs/,
    );
  });

  it('set-up is skipped when the server is installed and fails clearly without cargo', () => {
    const ready = spawnSync(process.execPath, ['scripts/setup-db.mjs'], { encoding: 'utf8', env: embedded });
    expect(ready.status).toBe(0);
    expect(ready.stderr).toMatch(/embedded database ready/);

    const noCargo = spawnSync(process.execPath, ['scripts/setup-db.mjs'], {
      encoding: 'utf8',
      env: { PATH: '/nonexistent', HOME: scratch, RINGSIDE_CACHE_DIR: join(scratch, 'empty-cache') },
    });
    expect(noCargo.status).toBe(1);
    expect(noCargo.stderr).toMatch(/cannot build the embedded database: 'cargo' \(Rust\) is not installed/);
  });
});
