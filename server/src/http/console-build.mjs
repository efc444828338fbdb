// @ts-check
// The agent console's production build (agent-ui/dist, served by the server at `/`): whether it
// is up to date with its sources, and building it. `npm install` builds it (scripts/setup-console.mjs,
// after the database set-up); the server checks it on start (console.ts `prepareConsole`) and so do
// the browser tests before they start one (agent-ui/e2e/support/console-build.ts).
// Plain JavaScript, like embedded-db.mjs, so that it runs before anything is compiled; its types
// are in console-build.d.mts.
//
// Only Vite runs here (a few seconds, no network); the type check is `npm run typecheck`'s job.
// Vite writes into a folder of its own (under node_modules/.cache) that replaces dist/ when
// complete, so a running server never serves half a build.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
export const AGENT_UI = join(REPO, 'agent-ui');
export const CONSOLE_DIST = join(AGENT_UI, 'dist');
const BUILT = join(CONSOLE_DIST, 'index.html');
/** What the console is built from (relative to agent-ui/): when any of it is newer than the build, build again. */
const SOURCES = ['src', 'index.html', 'vite.config.ts', 'package.json', 'tsconfig.app.json', '../shared/src'];

/** @param {string} path */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs; // a deleted file changes its folder
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

/** Vite's command-line entry, or undefined when it is not installed (an install without dev dependencies). */
function viteBin() {
  try {
    // Its `exports` do not list the bin script: find it through its package.json.
    const manifest = createRequire(join(AGENT_UI, 'package.json')).resolve('vite/package.json');
    const { bin } = JSON.parse(readFileSync(manifest, 'utf8'));
    const script = join(dirname(manifest), typeof bin === 'string' ? bin : bin.vite);
    return existsSync(script) ? script : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether agent-ui/dist can be served as it is; `built` when there is a build at all.
 * @returns {{state: 'fresh' | 'missing' | 'stale' | 'unbuildable', reason: string, built: boolean}}
 */
export function consoleBuildState() {
  const builtAt = existsSync(BUILT) ? statSync(BUILT).mtimeMs : 0;
  const built = builtAt > 0;
  if (!existsSync(join(AGENT_UI, 'index.html')) || !existsSync(join(AGENT_UI, 'src'))) {
    return { state: built ? 'fresh' : 'unbuildable', reason: 'the agent-ui sources are not here', built };
  }
  const sources = Math.max(...SOURCES.map((s) => newest(join(AGENT_UI, s))));
  if (builtAt > sources) return { state: 'fresh', reason: 'agent-ui/dist is newer than its sources', built };
  const state = built ? 'stale' : 'missing';
  if (!viteBin())
    return {
      state: 'unbuildable',
      reason: `agent-ui/dist is ${state} and Vite is not installed (npm install without dev dependencies?)`,
      built,
    };
  return {
    state,
    reason: built ? 'agent-ui sources changed since the last build' : 'agent-ui/dist does not exist yet',
    built,
  };
}

/** Thrown when Vite fails; `output` is the end of what it printed. */
export class ConsoleBuildError extends Error {
  /** @param {string} message @param {string} output */
  constructor(message, output) {
    super(message);
    this.name = 'ConsoleBuildError';
    this.output = output;
  }
}

/** @returns {{args: string[], out: string}} */
function buildCommand() {
  const bin = viteBin();
  if (!bin)
    throw new ConsoleBuildError('cannot build the agent console: Vite is not installed (run `npm install`)', '');
  const out = join(REPO, 'node_modules', '.cache', 'ringside', `console-${process.pid}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  return { args: [bin, 'build', '--outDir', out, '--emptyOutDir', '--logLevel', 'warn'], out };
}

/** @param {string} out */
function swapIn(out) {
  rmSync(CONSOLE_DIST, { recursive: true, force: true });
  try {
    renameSync(out, CONSOLE_DIST);
  } catch {
    // Another process put its build there in between (the same sources): keep that one.
    // Otherwise node_modules is on another file system: copy.
    if (!existsSync(BUILT)) cpSync(out, CONSOLE_DIST, { recursive: true });
    rmSync(out, { recursive: true, force: true });
  }
}

/** @param {number | null} code @param {number} started @param {string} output */
function failure(code, started, output) {
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  return new ConsoleBuildError(
    `building the agent console failed (vite exit ${code ?? 'signal'}) after ${secs}s`,
    output.trim().slice(-4000),
  );
}

/**
 * Builds agent-ui/dist with Vite in a child process.
 * @returns {Promise<{ms: number}>}
 */
export function buildConsole() {
  const { args, out } = buildCommand();
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: AGENT_UI,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    let output = '';
    const keep = (/** @type {Buffer} */ chunk) => {
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (err) => reject(new ConsoleBuildError(`cannot run Vite: ${err.message}`, output)));
    child.once('close', (code) => {
      if (code !== 0) {
        rmSync(out, { recursive: true, force: true });
        reject(failure(code, started, output));
        return;
      }
      swapIn(out);
      resolve({ ms: Date.now() - started });
    });
  });
}

/**
 * The same build, blocking (for test set-up that must finish before a server starts).
 * @returns {{ms: number}}
 */
export function buildConsoleSync() {
  const { args, out } = buildCommand();
  const started = Date.now();
  const run = spawnSync(process.execPath, args, {
    cwd: AGENT_UI,
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (run.status !== 0) {
    rmSync(out, { recursive: true, force: true });
    throw failure(run.status, started, `${run.error?.message ?? ''}${run.stdout ?? ''}${run.stderr ?? ''}`);
  }
  swapIn(out);
  return { ms: Date.now() - started };
}
