import { describe, expect, it } from 'vitest';
import mongoose from 'mongoose';
import { toAppError } from '../errors';
import { isDatabaseUnavailable } from './unavailable';

describe('a database that cannot be reached', () => {
  it('is a 503 unavailable, not a 500 (found by npm run test:faults restarting the database)', () => {
    for (const err of [
      new mongoose.mongo.MongoNetworkError('connection 4 to 127.0.0.1:27017 closed'),
      new mongoose.mongo.MongoServerError({ message: 'interrupted at shutdown', code: 11600 }),
    ]) {
      expect(isDatabaseUnavailable(err)).toBe(true);
      const appError = toAppError(err);
      expect({ code: appError.code, status: appError.status }).toEqual({ code: 'unavailable', status: 503 });
    }
  });

  it('leaves other database errors alone', () => {
    const err = new mongoose.mongo.MongoServerError({ message: 'bad query', code: 2 });
    expect(isDatabaseUnavailable(err)).toBe(false);
    expect(toAppError(err).code).toBe('internal');
  });
});
