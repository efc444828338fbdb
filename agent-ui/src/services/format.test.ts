import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { nextWindowOf } from './format';

describe('nextWindowOf', () => {
  it("reads the next calling window from the refusal's details, not from its words", () => {
    const refusal = new ApiError('refused in other words', 409, 'conflict', { nextWindow: '2026-11-25T07:00:00.000Z' });
    expect(nextWindowOf(refusal)).toBe('2026-11-25T07:00:00.000Z');
    expect(
      nextWindowOf(
        new ApiError("outside the customer's calling hours; next window 2026-11-25T07:00:00.000Z", 409, 'conflict'),
      ),
    ).toBeNull();
    expect(nextWindowOf(new ApiError('refused', 409, 'conflict', { nextWindow: 'tomorrow' }))).toBeNull();
  });
});
