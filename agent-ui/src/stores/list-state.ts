import { ApiError, errorMessage } from '../services/api';

/** Where a list from the server stands: `ready` once loaded; `unavailable` when this server does not serve it yet. */
export type ListState = 'idle' | 'loading' | 'ready' | 'unavailable' | 'error';

/**
 * How a list that failed to load is shown: `unavailable` with `unavailableText` when the server
 * does not serve it (404, 503), otherwise `error` with the error in words.
 */
export function listFailure(e: unknown, unavailableText: string): { state: 'unavailable' | 'error'; message: string } {
  if (e instanceof ApiError && (e.status === 404 || e.status === 503))
    return { state: 'unavailable', message: unavailableText };
  return { state: 'error', message: errorMessage(e) };
}
