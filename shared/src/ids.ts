import { z } from 'zod';

/** A stored document's id (a MongoDB ObjectId) as it travels: 24 hexadecimal digits. */
export const OBJECT_ID_PATTERN = /^[0-9a-f]{24}$/i;

/** Whether `value` is written as a stored document's id. */
export function isObjectId(value: string): boolean {
  return OBJECT_ID_PATTERN.test(value);
}

/** An id whose refusal names what it is for: `objectIdOf('a customer id')` says "must be a customer id". */
export function objectIdOf(what: string) {
  return z.string().regex(OBJECT_ID_PATTERN, { error: `must be ${what}` });
}

/** A stored document's id, in requests and answers alike. */
export const objectIdSchema = objectIdOf('an id');
