import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freshDatabaseUri } from './testing/harness';

const root = new URL('../../', import.meta.url).pathname;

interface Run {
  exit: Promise<{ code: number | null; stderr: string; stdout: string }>;
  url: Promise<string>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts `server/src/main.ts` the way `npm start` does, with `env` on top of a clean environment. */
function runMain(env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  let stdout = '';
  let stderr = '';
  let resolveUrl: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => (resolveUrl = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    const m = /"url":"(http:\/\/localhost:\d+)".*Ringside is up/.exec(stdout);
    if (m?.[1]) resolveUrl(m[1]);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stderr, stdout })),
  );
  return { exit, url, kill: (signal) => child.kill(signal) };
}

describe('main', () => {
  it.each([
    [{ PORT: 'abc' }, /^Invalid environment: PORT must be a number \(got "abc"\)$/],
    [{ PORT: '70000' }, /^Invalid environment: PORT must be between 0 and 65535 \(got "70000"\)$/],
    [{ MONGODB_URI: 'postgres://x' }, /^Invalid environment: MONGODB_URI must be a URL/],
    [{ NODE_ENV: 'production' }, /JWT_SECRET is required in production/],
    [{ DEFAULT_COUNTRY: 'XX' }, /DEFAULT_COUNTRY must be an ISO 3166 country code/],
  ])('refuses bad environment %o with one clear line and a non-zero exit', async (env, message) => {
    const { code, stderr } = await runMain(env).exit;
    expect(code).toBe(2);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  it('starts, seeds the demo on first start, serves login, and stops cleanly on SIGTERM', async () => {
    const run = runMain({ MONGODB_URI: freshDatabaseUri(), PORT: '0', DEMO_CUSTOMERS: '25', LOG_LEVEL: 'info' });
    const url = await Promise.race([
      run.url,
      run.exit.then(({ stderr }) => {
        throw new Error(`exited early: ${stderr}`);
      }),
    ]);
    const health = await fetch(`${url}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok', db: 'ok' });
    const login = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'agent1@ringside.test', password: 'ringside' }),
    });
    expect(login.status).toBe(200);

    run.kill('SIGTERM');
    const { code, stdout } = await run.exit;
    expect(code).toBe(0);
    expect(stdout).toContain('demo data loaded');
    expect(stdout).toContain('"msg":"stopped"');
  });
});
