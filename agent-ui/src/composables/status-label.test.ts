import { describe, expect, it } from 'vitest';
import { agentStatusSchema } from '@ringside/shared';
import { agentStatusLabel } from './status-label';

describe('agentStatusLabel', () => {
  it('words every agent state, and says Unknown before the server has said one', () => {
    expect(agentStatusSchema.options.map(agentStatusLabel)).toEqual([
      'Offline',
      'Available',
      'Ringing',
      'On a call',
      'Wrap-up',
      'Away',
    ]);
    expect(agentStatusLabel(null)).toBe('Unknown');
  });
});
