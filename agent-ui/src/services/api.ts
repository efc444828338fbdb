import type { ErrorBody, ErrorCode } from '@ringside/shared';

/** A failed API call, carrying the server's own message (`{error: {code, message}}`). */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    message: string,
    /** HTTP status; 0 when the server could not be reached at all. */
    readonly status: number,
    readonly code?: ErrorCode,
    /** `error.details` of the answer, e.g. the duplicates of a 409 on customer creation. */
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** Anything that turns unknown JSON into a `T` or throws, such as a zod schema from `@ringside/shared`. */
export interface ResponseSchema<T> {
  parse(data: unknown): T;
}

export interface RequestOptions<T> {
  /** Validates the answer: the server is a boundary too. */
  schema: ResponseSchema<T>;
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  body?: unknown;
  /** Sent as `Authorization: Bearer <token>` when present. */
  token?: string | null;
  signal?: AbortSignal;
  /** The call this request is made from, for the server's audit log (`X-Call-Id`). */
  callId?: string | null;
}

/** Calls the Ringside API on this page's origin and returns the validated answer. */
export async function request<T>(path: string, options: RequestOptions<T>): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.callId) headers['X-Call-Id'] = options.callId;

  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? null : JSON.stringify(options.body),
      signal: options.signal ?? null,
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw new ApiError('Cannot reach the Ringside server. Check your connection and try again.', 0, 'unavailable');
  }

  const payload = await readJson(response);
  if (!response.ok) throw errorFrom(response.status, payload);
  try {
    return options.schema.parse(payload);
  } catch {
    throw new ApiError('The server sent an answer this console does not understand.', response.status, 'internal');
  }
}

/**
 * Downloads a document the API serves (a PDF, say) with the bearer token, which a plain link
 * cannot send: the caller turns the Blob into an object URL to show it.
 */
export async function requestBlob(
  path: string,
  options: { token?: string | null; accept?: string; signal?: AbortSignal } = {},
): Promise<Blob> {
  const headers: Record<string, string> = { Accept: options.accept ?? 'application/pdf' };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let response: Response;
  try {
    response = await fetch(path, { headers, signal: options.signal ?? null });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw new ApiError('Cannot reach the Ringside server. Check your connection and try again.', 0, 'unavailable');
  }
  if (!response.ok) throw errorFrom(response.status, await readJson(response));
  return response.blob();
}

/** The message to show for any error thrown by `request`. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return 'Something went wrong. Please try again.';
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text().catch(() => '');
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorFrom(status: number, payload: unknown): ApiError {
  if (isErrorBody(payload))
    return new ApiError(payload.error.message, status, payload.error.code, payload.error.details);
  if (status === 429)
    return new ApiError('Too many attempts. Please wait a few minutes and try again.', status, 'rate_limited');
  return new ApiError(`The server answered with an error (HTTP ${status}).`, status);
}

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const { error } = value;
  return typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string';
}
