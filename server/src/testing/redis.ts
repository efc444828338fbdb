import { spawn } from 'node:child_process';
import { freePort } from '../db/embedded-db.mjs';

/** Debian's redis-server on a free port, for tests of several server processes (.ci/run installs it). */
export async function startRedis(): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  await new Promise<void>((resolve, reject) => {
    redis.once('error', (err) =>
      reject(new Error(`redis-server could not start (apt-get install redis-server): ${err.message}`)),
    );
    redis.once('spawn', () => resolve());
  });
  return { url: `redis://127.0.0.1:${port}`, stop: () => void redis.kill() };
}
