import type { z } from 'zod';
import type { Ack } from '@ringside/shared';
import { toAppError, fromZod, type AppError } from '../errors';
import type { Logger } from '../logger';

/**
 * Wraps a client→server socket handler: validates the payload with zod, runs `fn`, and answers
 * the ack with `{ok: true, data}` or `{ok: false, error, code}`. A client that sent no ack
 * callback, or a payload that fails validation, never crashes the server. `gate` refuses every
 * event at once while something it needs is away (the database: `unavailable`, instead of an
 * answer after the driver's 10 s of server selection).
 */
export function socketHandler<S extends z.ZodType, T>(
  schema: S,
  fn: (payload: z.output<S>) => Promise<T> | T,
  opts: { logger?: Logger; gate?: () => AppError | undefined } = {},
): (payload: unknown, ...rest: unknown[]) => Promise<void> {
  const { logger, gate } = opts;
  // Socket.IO hands the ack callback over as the last argument, after however many the client sent.
  return async (payload, ...rest) => {
    const ack = rest.at(-1) ?? (typeof payload === 'function' ? payload : undefined);
    const reply = (response: Ack<T>) => {
      if (typeof ack === 'function') (ack as (r: Ack<T>) => void)(response);
    };
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      const err = fromZod(parsed.error, 'event payload');
      return reply({ ok: false, error: err.message, code: err.code });
    }
    const refused = gate?.();
    if (refused) return reply({ ok: false, error: refused.message, code: refused.code });
    try {
      const data = await fn(parsed.data);
      reply(data === undefined ? { ok: true } : { ok: true, data });
    } catch (err) {
      const appError = toAppError(err);
      if (appError.code === 'internal') logger?.error({ err }, 'socket handler failed');
      reply({ ok: false, error: appError.message, code: appError.code });
    }
  };
}
