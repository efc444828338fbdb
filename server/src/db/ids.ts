import { Types } from 'mongoose';
import { isObjectId } from '@ringside/shared';
import { badRequest } from '../errors';

/** A stored document's id from a request's text: a 400 naming `what` when it is not one. */
export function toObjectId(raw: string, what = 'id'): Types.ObjectId {
  if (!isObjectId(raw)) throw badRequest(`${what} is not a valid id`);
  return new Types.ObjectId(raw);
}
