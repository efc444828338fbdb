import { describe, expect, it } from 'vitest';
import { ArrivalOrder } from './arrival-order';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('arrival order', () => {
  it('lets no later call join a queue before an earlier one, however long the earlier took', async () => {
    const order = new ArrivalOrder();
    const joined: string[] = [];
    const call = async (name: string, queue: string, buildMs: number) => {
      const turn = order.take();
      await new Promise((r) => setTimeout(r, buildMs)); // caller look-up and pop
      await turn.queueKnown(queue);
      joined.push(name);
      turn.done();
    };
    await Promise.all([
      call('A', 'support', 40),
      call('B', 'support', 1),
      call('C', 'sales', 1),
      call('D', 'support', 10),
    ]);
    // B and D wait for A, and keep their own order; C (another queue) waits only until A's queue is known.
    expect(joined.filter((name) => name !== 'C')).toEqual(['A', 'B', 'D']);
    expect(joined).toContain('C');
  });

  it('does not hold later calls behind one that failed before its queue was known', async () => {
    const order = new ArrivalOrder();
    const failed = order.take();
    const later = order.take();
    const waiting = later.queueKnown('support').then(() => 'joined');
    await tick();
    failed.done();
    expect(await waiting).toBe('joined');
  });
});
