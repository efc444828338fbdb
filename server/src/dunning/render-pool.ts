// Renders the ladder's PDFs in worker threads. Laying out text and embedding the font is CPU work
// (about 5 ms a document); in a daily scan with thousands of letters it kept the thread that reads
// and writes the cases busy for a third of the scan. Workers start on the first document, render
// one document at a time each, and stop after a while without work. Without workers (size 0, or
// when one cannot start) documents are rendered on the calling thread.
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../logger';
import { renderDocument, type RenderJob } from './documents';

export interface RenderPoolOptions {
  /** Worker threads at most; 0 renders on the calling thread. */
  size: number;
  /** Workers stop after this long without a document. */
  idleMs: number;
}

/** One fewer than the cores (the scan's own thread needs one), at least 1, at most 4. */
export const defaultRenderWorkers = () => Math.max(1, Math.min(4, availableParallelism() - 1));

interface Pending {
  id: number;
  job: RenderJob;
  resolve: (pdf: Buffer) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job: Pending | undefined;
}

type Answer = { ready: true } | { id: number; pdf: Uint8Array } | { id: number; error: string };

/**
 * The worker is TypeScript: it is loaded through tsx's `tsImport` (scoped to that import), which
 * works the same under `npm start`, the test runner and the benchmarks.
 */
function workerSource(): string {
  // The ES module build of tsx's API (its CommonJS build cannot register hooks from a worker).
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('tsx/package.json');
  const { exports } = require('tsx/package.json') as { exports: { './esm/api': { import: { default: string } } } };
  const tsx = pathToFileURL(join(dirname(manifest), exports['./esm/api'].import.default)).href;
  const entry = new URL('./render.worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(tsx)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`;
}

export class RenderPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Set when a worker could not start: from then on, documents are rendered here. */
  private inProcess: boolean;
  /** Documents rendered so far, by where. */
  readonly rendered = { workers: 0, here: 0 };

  constructor(
    private readonly options: RenderPoolOptions,
    private readonly logger?: Logger,
  ) {
    this.inProcess = options.size <= 0;
  }

  /** Workers running now (for tests and figures). */
  get workers(): number {
    return this.slots.length;
  }

  render(job: RenderJob): Promise<Buffer> {
    if (this.inProcess) return this.renderHere(job);
    return new Promise<Buffer>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops the workers; documents still waiting, and any asked for later, are rendered here. */
  async close(): Promise<void> {
    this.inProcess = true;
    clearTimeout(this.idleTimer);
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
    for (const s of slots) if (s.job) this.queue.unshift(s.job);
    for (const p of this.queue.splice(0)) this.renderHere(p.job).then(p.resolve, p.reject);
  }

  private dispatch(): void {
    clearTimeout(this.idleTimer);
    for (const slot of this.slots) {
      if (!this.queue.length) break;
      while (slot.ready && !slot.job && this.queue.length) this.send(slot, this.queue.shift() as Pending);
    }
    while (
      !this.inProcess &&
      this.queue.length > this.slots.filter((s) => !s.ready).length &&
      this.slots.length < this.options.size
    )
      this.spawn();
    if (!this.queue.length && this.slots.every((s) => !s.job)) {
      this.idleTimer = setTimeout(() => void this.stopIdle(), this.options.idleMs);
      this.idleTimer.unref();
    }
  }

  private send(slot: Slot, pending: Pending): void {
    try {
      slot.worker.postMessage({ ...pending.job, id: pending.id });
      slot.job = pending;
    } catch (err) {
      // Something in the document cannot be sent to another thread: that document fails alone.
      pending.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private spawn(): void {
    let worker: Worker;
    try {
      worker = new Worker(workerSource(), { eval: true });
    } catch (err) {
      this.fallBack(err);
      return;
    }
    // Workers never keep the process alive; a scan waiting on a document does.
    worker.unref();
    const slot: Slot = { worker, ready: false, job: undefined };
    this.slots.push(slot);
    worker.on('message', (answer: Answer) => {
      if ('ready' in answer) {
        slot.ready = true;
      } else {
        const pending = slot.job;
        slot.job = undefined;
        if (pending?.id === answer.id) {
          if ('pdf' in answer) {
            this.rendered.workers += 1;
            pending.resolve(Buffer.from(answer.pdf.buffer, answer.pdf.byteOffset, answer.pdf.byteLength));
          } else pending.reject(new Error(`rendering the ${pending.job.kind} failed: ${answer.error}`));
        }
      }
      this.dispatch();
    });
    worker.on('error', (err) => this.lost(slot, err));
    worker.on('exit', (code) => this.lost(slot, new Error(`render worker stopped (exit code ${String(code)})`)));
  }

  /** A worker died: its document fails (the step is tried again); one that never started turns workers off. */
  private lost(slot: Slot, err: Error): void {
    const at = this.slots.indexOf(slot);
    if (at < 0) return;
    this.slots.splice(at, 1);
    if (!slot.ready) {
      this.fallBack(err);
      return;
    }
    this.logger?.warn({ err }, 'a render worker stopped; the next document starts another');
    slot.job?.reject(err);
    this.dispatch();
  }

  private fallBack(err: unknown): void {
    if (this.inProcess) return;
    this.inProcess = true;
    this.logger?.warn({ err }, 'render workers cannot start; documents are rendered in the scan\u2019s thread');
    for (const s of this.slots.splice(0)) {
      if (s.job) this.queue.unshift(s.job);
      void s.worker.terminate();
    }
    for (const p of this.queue.splice(0)) this.renderHere(p.job).then(p.resolve, p.reject);
  }

  private renderHere(job: RenderJob): Promise<Buffer> {
    this.rendered.here += 1;
    return renderDocument(job);
  }

  private async stopIdle(): Promise<void> {
    if (this.queue.length || this.slots.some((s) => s.job)) return;
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
