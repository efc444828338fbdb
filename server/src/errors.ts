import type { ErrorCode } from '@ringside/shared';
import { ProviderError } from '@ringside/telephony';
import { z } from 'zod';
import { isDatabaseUnavailable } from './db/unavailable';

// A small set of typed errors, mapped once to HTTP status (http/error-handler.ts) and to
// socket acks (realtime/ack.ts).

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  get status(): number {
    return STATUS[this.code];
  }
}

export const badRequest = (message: string, details?: unknown) => new AppError('bad_request', message, details);
export const unauthorized = (message = 'authentication required') => new AppError('unauthorized', message);
export const forbidden = (message = 'not allowed for your role') => new AppError('forbidden', message);
export const notFound = (what: string) => new AppError('not_found', `${what} not found`);
export const conflict = (message: string, details?: unknown) => new AppError('conflict', message, details);
export const unavailable = (message: string) => new AppError('unavailable', message);
export const tooLarge = (message: string, details?: unknown) => new AppError('too_large', message, details);
export const unsupportedMediaType = (message: string, details?: unknown) =>
  new AppError('unsupported_media_type', message, details);

/** A zod failure as one readable sentence plus the field-level details. */
export function fromZod(error: z.ZodError, what = 'request'): AppError {
  const fields = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const sentence = fields.map((f) => (f.path ? `${f.path}: ${f.message}` : f.message)).join('; ');
  return badRequest(`invalid ${what}: ${sentence}`, fields);
}

/** Parse `input` with `schema` or throw a 400 that says what is wrong. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what?: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw fromZod(result.error, what);
  return result.data;
}

/** Any thrown value as an AppError; unknown errors become a 500 without leaking internals. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof z.ZodError) return fromZod(err);
  if (isDuplicateKey(err)) return conflict('already exists');
  if (err instanceof ProviderError) return unavailable(err.message);
  // The database is away (stopped, restarting): try again later, nothing broke (npm run test:faults).
  if (isDatabaseUnavailable(err)) return unavailable('the database is unavailable; try again shortly');
  return new AppError('internal', 'internal error');
}

export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && (err as { code: unknown }).code === 11000;
}
