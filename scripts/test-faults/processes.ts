// The real parts of a fault run, each in a process of its own that the run can stop, kill and
// start again on the same port: the embedded database, Redis, nginx and the server processes.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  constants,
  createWriteStream,
  mkdirSync,
  readFileSync,
  writeFileSync,
  type WriteStream,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { canConnect, startDatabase, type RunningDatabase } from '../../server/src/db/embedded-db.mjs';

const ROOT = resolve(import.meta.dirname, '..', '..');
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Every child this run started, ended when the run ends however it ends (nginx's master by SIGTERM, so that it takes its worker along). */
const children = new Map<ChildProcess, NodeJS.Signals>();
/** The database is the launcher's child: its pid. */
const databasePids = new Set<number>();
process.once('exit', () => {
  for (const [child, signal] of children) child.kill(signal);
  for (const pid of databasePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
});
// Stopped by hand (Ctrl-C, a CI timeout): the exit handler above still ends every child.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

function track(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): ChildProcess {
  children.set(child, signal);
  child.once('exit', () => children.delete(child));
  return child;
}

async function untilListening(port: number, what: string, child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited before listening`);
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

/** The embedded database (server/src/db/embedded-db.mjs) on one data directory and one port, restartable. */
export class DatabaseProcess {
  private running: RunningDatabase | undefined;

  constructor(
    private readonly dataDir: string,
    readonly port: number,
  ) {}

  get uri(): string {
    return `mongodb://127.0.0.1:${this.port}/ringside?directConnection=true`;
  }

  async start(): Promise<void> {
    // MONGODB_URI cleared: this run's own server, never one from the environment.
    this.running = await startDatabase({
      dataDir: this.dataDir,
      port: this.port,
      logFileMax: '64MB',
      env: { ...process.env, MONGODB_URI: '' },
    });
    if (this.running.pid) databasePids.add(this.running.pid);
  }

  async stop(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    await running?.stop();
    if (running?.pid) databasePids.delete(running.pid);
  }
}

/** Debian's redis-server on one port, without persistence: a restart starts it empty. */
export class RedisProcess {
  private child: ChildProcess | undefined;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = track(
      spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      }),
    );
    await new Promise<void>((resolve, reject) => {
      child.once('error', (err) =>
        reject(new Error(`redis-server could not start (apt-get install redis-server): ${err.message}`)),
      );
      child.once('spawn', () => resolve());
    });
    this.child = child;
    await untilListening(this.port, 'redis-server', child);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    child.kill('SIGTERM');
    await exited(child);
  }
}

/**
 * The load balancer: Debian's nginx as the current user, in front of the server processes.
 *
 * Balancing: the consoles here connect WebSocket-only (`transports: ['websocket']`), so a console's
 * whole Socket.IO session is one TCP connection and needs no stickiness; everything else (webhooks,
 * the API) is stateless and goes round-robin. `/socket.io/` is nevertheless hashed on a `console` key
 * that each console sends, for two reasons: a console that reconnects lands where it was while that
 * process lives, and this run can ask which process holds a console (`/whereis?console=KEY` goes the
 * same way and answers with `X-Upstream`), which is how it tells same-node from cross-node pops. A
 * deployment whose consoles start with HTTP long-polling needs real stickiness instead (a cookie, or
 * `ip_hash` when clients do not share an address). `$remote_addr` would not do here: every client
 * of this run is 127.0.0.1.
 */
export async function startNginx(
  dir: string,
  opts: { port: number; upstreams: number[] },
): Promise<{ url: string; stop(): Promise<void>; errorLog: string }> {
  mkdirSync(join(dir, 'temp'), { recursive: true });
  const servers = opts.upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=0;`).join('\n');
  const proxy = `
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_connect_timeout 10s;
      proxy_read_timeout 60s;
      proxy_buffering off;
      add_header X-Upstream $upstream_addr always;`;
  const conf = `# Written by scripts/test-faults: nginx in front of the Ringside server processes of one run.
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
worker_rlimit_nofile 65536;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'temp', 'body')};
  proxy_temp_path ${join(dir, 'temp', 'proxy')};
  fastcgi_temp_path ${join(dir, 'temp', 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'temp', 'uwsgi')};
  scgi_temp_path ${join(dir, 'temp', 'scgi')};
  map $http_upgrade $connection_upgrade { default upgrade; '' ''; }
  # Webhooks and the API: round-robin. A process that refuses connections (killed) is skipped for
  # the next one at once; max_fails=0 keeps nginx from taking a slow but live process out as well
  # (with one process killed, that left no upstream at all).
  upstream ringside {
${servers}
    keepalive 64;
  }
  # Consoles (see the comment in processes.ts): by their key, so that this run can tell where each is.
  upstream consoles {
    hash $arg_console consistent;
${servers}
  }
  server {
    listen 127.0.0.1:${opts.port};
    location /socket.io/ {
      proxy_pass http://consoles;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;${proxy}
    }
    location = /whereis {
      proxy_pass http://consoles/healthz;
      proxy_set_header Connection '';${proxy}
    }
    location / {
      proxy_pass http://ringside;
      proxy_set_header Connection '';${proxy}
    }
  }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const errorLog = join(dir, 'error.log');
  const child = track(
    spawn(nginxBinary(), ['-p', dir, '-e', errorLog, '-c', 'nginx.conf', '-g', 'daemon off;'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
    'SIGTERM',
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  await new Promise<void>((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`nginx could not start (apt-get install nginx): ${err.message}`)));
    child.once('spawn', () => resolve());
  });
  await untilListening(opts.port, 'nginx', child).catch((err: unknown) => {
    throw new Error(`${err instanceof Error ? err.message : String(err)}: ${stderr.trim()}`);
  });
  return {
    url: `http://127.0.0.1:${opts.port}`,
    errorLog,
    async stop() {
      child.kill('SIGQUIT');
      await exited(child);
    },
  };
}

/** Debian puts nginx in /usr/sbin, which is not on every user's PATH. */
function nginxBinary(): string {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin']) {
    try {
      accessSync(join(dir, 'nginx'), constants.X_OK);
      return join(dir, 'nginx');
    } catch {
      // not here
    }
  }
  return 'nginx';
}

/** Why a server process ended, when this run did not end it. */
export interface UnexpectedExit {
  server: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

/** One `node --import tsx server/src/main.ts` on a fixed port, its output in a log file. */
export class ServerProcess {
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private ending = false;
  readonly unexpected: UnexpectedExit[] = [];

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: Record<string, string>,
    readonly logFile: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Starts the process; resolves when its /healthz answers 200 (or, with `serving`, answers at
   * all: a process started under load whose database ping is slow still serves).
   */
  async start(opts: { serving?: boolean; timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? 180_000;
    this.ending = false;
    this.log ??= createWriteStream(this.logFile, { flags: 'a' });
    const child = track(
      spawn(
        process.execPath,
        [
          ...(process.env.FAULTS_NODE_ARGS ?? '').split(' ').filter(Boolean),
          '--import',
          'tsx',
          '--max-old-space-size=1024', // as npm start (the worker it forks sets its own)
          'server/src/main.ts',
        ],
        {
          cwd: ROOT,
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: String(this.port), ...this.env },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      ),
    );
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    child.once('exit', (code, signal) => {
      if (!this.ending) this.unexpected.push({ server: this.name, code, signal, at: Date.now() });
    });
    this.child = child;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.alive) throw new Error(`server ${this.name} exited during start (see ${this.logFile})`);
      if (Date.now() > deadline) throw new Error(`server ${this.name} did not come up within ${timeoutMs / 1000} s`);
      const up = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(5000) }).then(
        (r) => r.ok || (opts.serving === true && r.status === 503),
        () => false,
      );
      if (up) return;
      await sleep(250);
    }
  }

  /** The longest event-loop stall since the last reading (ms), from the process's /metrics. */
  async eventLoopLagMax(metricsToken: string): Promise<number | undefined> {
    if (!this.alive) return undefined;
    try {
      const res = await fetch(`${this.url}/metrics`, {
        headers: { authorization: `Bearer ${metricsToken}` },
        signal: AbortSignal.timeout(3000),
      });
      const max = /^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(await res.text())?.[1];
      return max === undefined ? undefined : Math.round(Number(max) * 1000);
    } catch {
      return undefined;
    }
  }

  /** Mean seconds per stage of the pop path since the start (`ringside_pop_stage_seconds`). */
  async popStages(metricsToken: string): Promise<Map<string, { mean: number; count: number }>> {
    const stages = new Map<string, { mean: number; count: number }>();
    if (!this.alive) return stages;
    const text = await fetch(`${this.url}/metrics`, {
      headers: { authorization: `Bearer ${metricsToken}` },
      signal: AbortSignal.timeout(5000),
    }).then(
      (r) => r.text(),
      () => '',
    );
    const sums = new Map<string, number>();
    for (const m of text.matchAll(/^ringside_pop_stage_seconds_(sum|count)\{stage="([^"]+)"\} (\S+)$/gm)) {
      const [, kind, stage, value] = m;
      if (!stage || !value) continue;
      if (kind === 'sum') sums.set(stage, Number(value));
      else stages.set(stage, { mean: 0, count: Number(value) });
    }
    for (const [stage, e] of stages) e.mean = e.count ? (sums.get(stage) ?? 0) / e.count : 0;
    return stages;
  }

  /** Whether /healthz answers 200 `db: ok` now. */
  async healthy(): Promise<boolean> {
    if (!this.alive) return true;
    return fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(5000) }).then(
      (r) => r.ok,
      () => false,
    );
  }

  /** The fault: no shutdown, no goodbye to sockets or Redis. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.ending = true;
    child.kill('SIGKILL');
    await exited(child);
  }

  /** A graceful stop (SIGTERM), at the end of the run. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    this.ending = true;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited(child);
    clearTimeout(timer);
  }

  /** The process's structured log lines (pino JSON) that carry `msg`. */
  logLines(): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [];
    for (const line of readFileSync(this.logFile, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a line cut by the kill
      }
    }
    return out;
  }
}
