// What the benchmarks share: checked options, and the server as `npm start` runs it, in a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { freePort } from '../server/src/db/embedded-db.mjs';

/** A benchmark's command-line options, checked: a bad one ends the run with its reason (exit 2). */
export function benchArgs<S extends z.ZodType>(name: string, schema: S, values: unknown): z.infer<S> {
  const parsed = schema.safeParse(values);
  if (parsed.success) return parsed.data;
  process.stderr.write(`${name}: ${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}
`);
  process.exit(2);
}

/** The Twilio account the benchmarks sign their webhooks with (the stand-in accepts it). */
export const BENCH_TWILIO = {
  sid: `AC${'b'.repeat(32)}`,
  token: 'bench-auth-token-1234',
  publicUrl: 'https://bench.ringside.test',
};

/**
 * The dunning ladder while a benchmark runs: no call rung. Its callbacks would be offered to the
 * benchmark's consoles, which answer inbound pops only; the scan's reading, texts and letters are all
 * there.
 */
export const BENCH_LADDER = '3:sms,14:letter,45:legal';

/** What every benchmark's server is started with: the benchmark database, its secret, the Twilio stand-in. */
export function benchServerEnv(deps: {
  uri: string;
  jwtSecret: string;
  twilioApiBase: string;
}): Record<string, string> {
  return {
    NODE_ENV: 'development',
    MONGODB_URI: deps.uri,
    SEED_DEMO: 'false',
    LOG_LEVEL: 'warn',
    JWT_SECRET: deps.jwtSecret,
    TWILIO_ACCOUNT_SID: BENCH_TWILIO.sid,
    TWILIO_AUTH_TOKEN: BENCH_TWILIO.token,
    TWILIO_API_BASE: deps.twilioApiBase,
    PUBLIC_URL: BENCH_TWILIO.publicUrl,
    OFFER_ACK_TIMEOUT_MS: '10000',
    DUNNING_LADDER: BENCH_LADDER,
  };
}

/**
 * The Node flags `npm start` gives the web process (package.json's start script, e.g. its heap size),
 * so that a benchmark measures the process a deployment runs; the worker it starts picks its own.
 */
function startFlags(root: string): string[] {
  const pkg = z
    .object({ scripts: z.object({ start: z.string() }) })
    .parse(JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')));
  return pkg.scripts.start.split(/\s+/).filter((arg) => arg.startsWith('--'));
}

/** Starts `server/src/main.ts` with this environment on a free port; resolves when /healthz answers. */
export async function startApp(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const root = resolve(import.meta.dirname, '..');
  // BENCH_NODE_FLAGS adds Node flags to the web process for a look inside (e.g. `--trace-gc`).
  const extra = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...startFlags(root), ...extra, '--import', 'tsx', 'server/src/main.ts'], {
    detached: false,
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: String(port), ...env },
    // BENCH_APP_LOG=FILE keeps the server's own log (web and worker) for a look afterwards.
    stdio: ['ignore', process.env.BENCH_APP_LOG ? openSync(process.env.BENCH_APP_LOG, 'a') : 'ignore', 'inherit'],
  });
  // Never leave the server behind, whatever ends this process.
  process.once('exit', () => child.kill('SIGKILL'));
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`server exited with ${exited}`);
    if (Date.now() > deadline) throw new Error('server did not come up within 120 s');
    const up = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url: `http://127.0.0.1:${port}`, child };
}
