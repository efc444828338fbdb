// @ts-check
// The embedded database: where its server comes from, how it is installed once, and how a
// running instance is started and stopped. Used by `npm install` (setup), `npm start`, the
// test suite and the scripts. Plain JavaScript so that it runs during `npm install`, before
// anything is compiled; its types are in embedded-db.d.mts.
//
// Resolution order (DESIGN.md "Running it"):
//   1. MONGODB_URI set            → nothing to start, use it;
//   2. a `mongod` on PATH         → start it on a data directory;
//   3. SecantusDB's Rust server   → `secantusd-rs` from the cache directory (built once with cargo).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export const SECANTUS_CRATE = 'secantus-mdb';
export const SECANTUS_VERSION = '0.5.3-beta.196';
export const SECANTUS_BINARY = 'secantusd-rs';

/** The cache directory outside the repository where the database server is installed. */
export function cacheDir(env = process.env) {
  if (env.RINGSIDE_CACHE_DIR) return env.RINGSIDE_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'ringside');
}

/** Where `cargo install --root` puts SecantusDB (one folder per pinned version). */
export function secantusRoot(env = process.env) {
  return join(cacheDir(env), `secantusdb-${SECANTUS_VERSION}`);
}

export function secantusBinaryPath(env = process.env) {
  return join(secantusRoot(env), 'bin', SECANTUS_BINARY);
}

/** @param {string} name */
function onPath(name, env = process.env) {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** True when the installed SecantusDB binary answers with the pinned version. */
export function secantusInstalled(env = process.env) {
  const bin = secantusBinaryPath(env);
  if (!existsSync(bin)) return false;
  const out = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return out.status === 0 && `${out.stdout}${out.stderr}`.includes(SECANTUS_VERSION);
}

/**
 * Which server `startDatabase` would run, without starting anything.
 * @returns {{kind: 'uri', uri: string} | {kind: 'mongod', bin: string} | {kind: 'secantus', bin: string} | {kind: 'missing', reason: string}}
 */
export function resolveDatabase(env = process.env) {
  if (env.MONGODB_URI) return { kind: 'uri', uri: env.MONGODB_URI };
  if (env.RINGSIDE_DB_SERVER !== 'secantus') {
    const mongod = onPath('mongod', env);
    if (mongod) return { kind: 'mongod', bin: mongod };
  }
  if (secantusInstalled(env)) return { kind: 'secantus', bin: secantusBinaryPath(env) };
  return {
    kind: 'missing',
    reason:
      `no MONGODB_URI, no mongod on PATH and no ${SECANTUS_BINARY} ${SECANTUS_VERSION} in ${secantusRoot(env)}; ` +
      'run `npm install` (it builds the embedded database once) or set MONGODB_URI',
  };
}

/** A free TCP port on the loopback interface. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Whether something accepts TCP connections on 127.0.0.1:`port` now.
 * @param {number} port
 */
export function canConnect(port) {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/** @param {number} pid */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A server another process already runs on this data directory (`npm start` while
 * `npm run seed` runs, say): its port, or undefined. A dead one's files are cleaned up.
 * @param {string} pidFile
 * @returns {Promise<number | undefined>}
 */
async function runningServer(pidFile) {
  if (!existsSync(pidFile)) return undefined;
  const [pidText, portText] = readFileSync(pidFile, 'utf8').trim().split(/\s+/);
  const pid = Number(pidText);
  const port = Number(portText);
  if (Number.isInteger(pid) && pid > 0 && alive(pid) && Number.isInteger(port) && (await canConnect(port))) return port;
  rmSync(pidFile, { force: true });
  return undefined;
}

/**
 * Start the database server on `dataDir` (kept across restarts) and wait until it accepts
 * connections. With MONGODB_URI set, nothing is started.
 * @param {{dataDir: string, port?: number, dbName?: string, env?: NodeJS.ProcessEnv, logFileMax?: string, log?: (line: string) => void}} options
 * @returns {Promise<{uri: string, kind: string, port?: number, pid?: number, stop: () => Promise<void>}>}
 */
export async function startDatabase(options) {
  const env = options.env ?? process.env;
  const dbName = options.dbName ?? 'ringside';
  const resolved = resolveDatabase(env);
  if (resolved.kind === 'uri') return { uri: resolved.uri, kind: 'uri', stop: async () => {} };
  if (resolved.kind === 'missing') throw new Error(`Embedded database unavailable: ${resolved.reason}`);

  mkdirSync(options.dataDir, { recursive: true });
  const pidFile = join(options.dataDir, 'server.pid');
  const sharedPort = await runningServer(pidFile);
  if (sharedPort !== undefined) {
    options.log?.(
      `database: reusing the ${resolved.kind} already running on 127.0.0.1:${sharedPort} for ${options.dataDir}`,
    );
    return {
      uri: `mongodb://127.0.0.1:${sharedPort}/${dbName}?directConnection=true`,
      kind: resolved.kind,
      port: sharedPort,
      stop: async () => {},
    };
  }

  const port = options.port ?? (await freePort());
  const args =
    resolved.kind === 'mongod'
      ? ['--dbpath', options.dataDir, '--port', String(port), '--bind_ip', '127.0.0.1', '--quiet']
      : [
          '--host',
          '127.0.0.1',
          '--port',
          String(port),
          '--storage-path',
          options.dataDir,
          '--log-level',
          'WARNING',
          ...(options.logFileMax ? ['--log-file-max', options.logFileMax] : []),
        ];
  const child = spawn(resolved.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  /** @param {Buffer} chunk */
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  /** @type {number | null} */
  let exitCode = null;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exitCode = code ?? (signal ? 128 : 1);
      rmSync(pidFile, { force: true });
      resolve(undefined);
    });
  });
  if (child.pid) writeFileSync(pidFile, `${child.pid} ${port}`);

  const deadline = Date.now() + 60_000;
  while (!(await canConnect(port))) {
    if (exitCode !== null) {
      throw new Error(`${resolved.kind} exited with code ${exitCode} before accepting connections:\n${output.trim()}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${resolved.kind} did not accept connections on port ${port} within 60 s:\n${output.trim()}`);
    }
    await sleep(50);
  }
  options.log?.(`database: ${resolved.kind} on 127.0.0.1:${port}, data in ${options.dataDir}`);

  let stopping;
  const stop = () => {
    stopping ??= (async () => {
      if (exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };
  return {
    uri: `mongodb://127.0.0.1:${port}/${dbName}?directConnection=true`,
    kind: resolved.kind,
    port,
    pid: child.pid,
    stop,
  };
}
