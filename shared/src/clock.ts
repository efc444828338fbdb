/**
 * Time, injected: routing, callbacks, calling hours and dunning are all about time. One clock
 * serves a whole call path, provider adapters included, so that every `at` in it agrees.
 */
export interface Clock {
  now(): Date;
}
