import type { Logger } from '../logger';

/** Named one-shot timers (an offer's acknowledgement and acceptance, a console that went). */
export class Timers {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly logger: Logger) {}

  /** Runs `fn` after `ms` unless disarmed first; arming a name again replaces it. */
  arm(key: string, ms: number, fn: () => Promise<void>): void {
    this.disarm(key);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      fn().catch((err: unknown) => this.logger.error({ err, key }, 'offer timer failed'));
    }, ms);
    timer.unref();
    this.timers.set(key, timer);
  }

  disarm(key: string): void {
    const timer = this.timers.get(key);
    if (timer) clearTimeout(timer);
    this.timers.delete(key);
  }

  /** Stops every timer (shutdown). */
  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
