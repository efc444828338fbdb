import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { socketHandler } from './ack';
import { conflict, unavailable } from '../errors';

describe('socketHandler', () => {
  const schema = z.object({ callId: z.string().min(1) });

  it('answers ok with the data', async () => {
    const ack = vi.fn();
    await socketHandler(schema, (p) => ({ echoed: p.callId }))({ callId: 'c1' }, ack);
    expect(ack).toHaveBeenCalledWith({ ok: true, data: { echoed: 'c1' } });
  });

  it('rejects a bad payload with the reason and does not run the handler', async () => {
    const ack = vi.fn();
    const fn = vi.fn();
    await socketHandler(schema, fn)({ callId: '' }, ack);
    expect(fn).not.toHaveBeenCalled();
    expect(ack).toHaveBeenCalledWith({
      ok: false,
      code: 'bad_request',
      error: expect.stringMatching(/^invalid event payload: callId: /),
    });
  });

  it('maps typed errors and hides unknown ones', async () => {
    const ack = vi.fn();
    await socketHandler(schema, () => {
      throw conflict('call already accepted');
    })({ callId: 'c1' }, ack);
    expect(ack).toHaveBeenLastCalledWith({ ok: false, code: 'conflict', error: 'call already accepted' });
    await socketHandler(schema, () => {
      throw new Error('secret internals');
    })({ callId: 'c1' }, ack);
    expect(ack).toHaveBeenLastCalledWith({ ok: false, code: 'internal', error: 'internal error' });
  });

  it('survives a client that sent no ack', async () => {
    await expect(socketHandler(schema, () => 1)({ callId: 'x' })).resolves.toBeUndefined();
    await expect(socketHandler(schema, () => 1)('garbage', 'not-a-function')).resolves.toBeUndefined();
  });

  it('refuses every event at once while its gate is shut (the database away), without running the handler', async () => {
    const ack = vi.fn();
    const fn = vi.fn();
    let away = true;
    const gate = () => (away ? unavailable('the database is unavailable; try again shortly') : undefined);
    await socketHandler(schema, fn, { gate })({ callId: 'c1' }, ack);
    expect(fn).not.toHaveBeenCalled();
    expect(ack).toHaveBeenLastCalledWith({
      ok: false,
      code: 'unavailable',
      error: 'the database is unavailable; try again shortly',
    });
    away = false;
    fn.mockReturnValue('done');
    await socketHandler(schema, fn, { gate })({ callId: 'c1' }, ack);
    expect(ack).toHaveBeenLastCalledWith({ ok: true, data: 'done' });
  });
});
