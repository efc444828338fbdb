// The timers of the simulated Asterisk world (dialing, ringing out, playback steps), kept so that
// closing the server clears every one still pending.
export class WorldTimers {
  private readonly pending = new Set<NodeJS.Timeout>();

  /** Runs `fn` after `ms`, unless cancelled or cleared first. */
  later(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.pending.delete(t);
      fn();
    }, ms);
    this.pending.add(t);
    return t;
  }

  cancel(t: NodeJS.Timeout): void {
    clearTimeout(t);
    this.pending.delete(t);
  }

  clear(): void {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }
}
