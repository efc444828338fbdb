// Calls in this process join their queue in the order they arrived: a pop that takes longer to
// build does not let a later caller overtake an earlier one in the same queue.

interface Pending {
  queue: Promise<string | undefined>;
  joined: Promise<void>;
}

export interface Turn {
  /** The call's queue is known: wait until every earlier arrival for the same queue has joined it. */
  queueKnown(queue: string): Promise<void>;
  /** The call has joined its queue's line (or will not): later arrivals may go on. */
  done(): void;
}

export class ArrivalOrder {
  private pending: Pending[] = [];

  /** Taken when a call arrives, before anything is awaited. */
  take(): Turn {
    let setQueue!: (queue: string | undefined) => void;
    let setJoined!: () => void;
    const entry: Pending = {
      queue: new Promise((resolve) => (setQueue = resolve)),
      joined: new Promise((resolve) => (setJoined = resolve)),
    };
    const earlier = [...this.pending];
    this.pending.push(entry);
    return {
      async queueKnown(queue) {
        setQueue(queue);
        for (const before of earlier) if ((await before.queue) === queue) await before.joined;
      },
      done: () => {
        setQueue(undefined);
        setJoined();
        this.pending = this.pending.filter((p) => p !== entry);
      },
    };
  }
}
