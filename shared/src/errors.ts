/** Error codes shared by HTTP error bodies and socket acks. */
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

/** The body of every HTTP error answer. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** What every client→server socket event answers through its ack. */
export type Ack<T = undefined> = { ok: true; data?: T } | { ok: false; error: string; code?: ErrorCode };
export type AckCallback<T = undefined> = (response: Ack<T>) => void;
