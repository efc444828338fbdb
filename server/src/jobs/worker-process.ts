// `npm start` on one machine: the web process starts the worker as a child process of its own (the
// same program with `--role worker`), restarts it when it dies, and stops it on shutdown. The
// worker leaves when its parent does (the IPC channel closes), so a killed web process leaves no
// worker behind.
import { fork, type ChildProcess } from 'node:child_process';
import type { Logger } from '../logger';

/**
 * The worker's own heap: the batch jobs allocate gigabytes of short-lived objects (a dunning scan
 * reads every overdue invoice and live case), and with V8's default young generation the garbage
 * collector took 11 s of the daily scan's CPU; a 64 MB semi-space keeps them from being promoted.
 * The web process does not want it (it would hold up to 128 MB of young generation beside 1,000
 * consoles), so the worker is given this instead of the web process's heap flags.
 */
export const WORKER_HEAP_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

/** Node/V8 flags that size the heap: each process has its own (`--max-old-space-size=1024`, `--max_semi_space_size 64`). */
const HEAP_FLAG =
  /^--(max[-_]old[-_]space[-_]size|max[-_]semi[-_]space[-_]size|min[-_]semi[-_]space[-_]size|max[-_]heap[-_]size)(=.*)?$/;

/** The worker's Node flags: the web process's (the tsx loader among them) without its heap sizes, plus the worker's. */
export function workerExecArgv(webExecArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < webExecArgv.length; i++) {
    const arg = webExecArgv[i] ?? '';
    const heap = HEAP_FLAG.exec(arg);
    if (!heap) kept.push(arg);
    else if (heap[2] === undefined) i += 1; // `--flag value`: skip the value too
  }
  return [...kept, ...WORKER_HEAP_FLAGS];
}

export interface WorkerProcess {
  stop(): Promise<void>;
}

export function spawnWorker(deps: { logger: Logger; env: NodeJS.ProcessEnv }): WorkerProcess {
  const logger = deps.logger.child({ component: 'worker-process' });
  let child: ChildProcess | undefined;
  let stopping = false;
  let restartIn = 1000;
  let restartTimer: NodeJS.Timeout | undefined;

  const start = () => {
    const started = Date.now();
    const script = process.argv[1];
    if (!script) throw new Error('spawnWorker: no script to start');
    child = fork(script, ['--role', 'worker'], {
      execArgv: workerExecArgv(process.execArgv),
      env: { ...process.env, ...deps.env },
      stdio: 'inherit',
    });
    logger.info({ pid: child.pid }, 'worker process started');
    child.on('exit', (code, signal) => {
      child = undefined;
      if (stopping) return;
      // A worker that ran a while restarts at once; one that keeps failing, less and less often.
      restartIn = Date.now() - started > 60_000 ? 1000 : Math.min(restartIn * 2, 60_000);
      logger.error({ code, signal, restartInMs: restartIn }, 'worker process ended; restarting it');
      restartTimer = setTimeout(start, restartIn);
      restartTimer.unref();
    });
  };
  start();

  return {
    async stop() {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      const c = child;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        const kill = setTimeout(() => c.kill('SIGKILL'), 20_000);
        c.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        c.kill('SIGTERM');
      });
    },
  };
}

/**
 * In the worker: leave when the parent goes (its IPC channel closes). Call it first thing: until
 * `onParentGone` is given (the worker is up and can stop cleanly), a parent that goes ends this
 * process at once; after, `onParentGone` runs (also when the parent went meanwhile).
 */
export function leaveWithParent(): { onGone(onParentGone: () => void): void } {
  let gone = false;
  let handler: (() => void) | undefined;
  if (process.send) {
    process.on('disconnect', () => {
      gone = true;
      if (handler) handler();
      else process.exit(0);
    });
  }
  return {
    onGone(onParentGone) {
      handler = onParentGone;
      if (gone || (process.send && !process.connected)) onParentGone();
    },
  };
}
