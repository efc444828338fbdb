// How well this process serves the call path right now: its event-loop stalls and its pop
// latency. The offers ask it before blaming an agent for a missed acknowledgement (a server that
// stalled is late itself); the web process publishes it for the jobs, which slow down when it suffers.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface CallPathReading {
  /** p95 of the pops acknowledged in the last `windowMs` (null: none). */
  popP95Ms: number | null;
  /**
   * How much the event loop lags, over the last `windowMs`: the 90th percentile of the longest stall
   * of each sample (so that one garbage collection is not an overload, and a sustained one is).
   */
  loopLagMs: number;
  /** Pops in that window. */
  pops: number;
}

export interface CallPathHealthOptions {
  /** How often the event loop's longest stall is sampled (default 100 ms). */
  sampleEveryMs?: number;
  /** The window a reading covers (default 10 s). */
  windowMs?: number;
}

interface Sample {
  /** performance.now() at the end of the sample. */
  at: number;
  /** The longest stall within it, ms. */
  maxMs: number;
}

export class CallPathHealth {
  private readonly loop: IntervalHistogram;
  private readonly sampleEveryMs: number;
  private readonly windowMs: number;
  /** Ring of loop samples over the window (plus one). */
  private readonly samples: Sample[] = [];
  private readonly pops: { at: number; ms: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastSample = performance.now();

  constructor(options: CallPathHealthOptions = {}) {
    this.sampleEveryMs = options.sampleEveryMs ?? 100;
    this.windowMs = options.windowMs ?? 10_000;
    this.loop = monitorEventLoopDelay({ resolution: 10 });
  }

  start(): void {
    if (this.timer) return;
    this.loop.enable();
    this.lastSample = performance.now();
    this.timer = setInterval(() => this.sample(), this.sampleEveryMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.loop.disable();
  }

  /** A pop acknowledged `ms` after its call arrived. */
  popAcknowledged(ms: number): void {
    const now = performance.now();
    this.pops.push({ at: now, ms });
    this.forget(now);
  }

  /**
   * The longest stall of this process since `since` (a performance.now() time), including the one
   * under way: a timer that fires late says it by itself, and the sampler's interval says it for
   * the stalls in between.
   */
  stalledSince(since: number): number {
    const now = performance.now();
    // The sampler is a timer too: the time since its last run is a stall if it is overdue.
    let max = Math.max(0, now - this.lastSample - this.sampleEveryMs);
    for (const s of this.samples) if (s.at >= since) max = Math.max(max, s.maxMs);
    if (this.timer) max = Math.max(max, this.loop.max / 1e6);
    return max;
  }

  reading(): CallPathReading {
    const now = performance.now();
    this.forget(now);
    const sorted = this.pops.map((p) => p.ms).sort((a, b) => a - b);
    const p95 = sorted.length ? (sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] ?? 0) : null;
    const lags = this.samples.map((x) => x.maxMs).sort((a, b) => a - b);
    const lag = lags.length ? (lags[Math.min(lags.length - 1, Math.ceil(lags.length * 0.9) - 1)] ?? 0) : 0;
    return {
      popP95Ms: p95 === null ? null : Math.round(p95 * 10) / 10,
      loopLagMs: Math.round(lag),
      pops: sorted.length,
    };
  }

  private sample(): void {
    const now = performance.now();
    // The histogram's max is the longest delay of the loop since the last reset; a sampler that
    // ran late was held up by a stall as long as its own lateness.
    const late = now - this.lastSample - this.sampleEveryMs;
    this.samples.push({ at: now, maxMs: Math.max(this.loop.max / 1e6, late) });
    this.loop.reset();
    this.lastSample = now;
    this.forget(now);
  }

  private forget(now: number): void {
    const from = now - this.windowMs;
    while (this.samples.length && (this.samples[0]?.at ?? now) < from) this.samples.shift();
    while (this.pops.length && (this.pops[0]?.at ?? now) < from) this.pops.shift();
    // Bounded whatever the call rate: the newest 5,000 pops are plenty for a p95.
    if (this.pops.length > 5000) this.pops.splice(0, this.pops.length - 5000);
  }
}
