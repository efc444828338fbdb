import { describe, expect, it } from 'vitest';
import { roleOf } from './roles';

describe('roleOf', () => {
  it('launches the web process with a worker by default', () => {
    expect(roleOf([])).toBe('launch');
  });
  it('reads --role NAME and --role=NAME', () => {
    expect(roleOf(['--role', 'worker'])).toBe('worker');
    expect(roleOf(['--role=web'])).toBe('web');
    expect(roleOf(['--x', '--role', 'all'])).toBe('all');
  });
  it('refuses an unknown or missing role with a reason', () => {
    expect(roleOf(['--role', 'boss'])).toBe('error:--role must be web, worker or all (got "boss")');
    expect(roleOf(['--role'])).toBe('error:--role must be web, worker or all (got "")');
  });
});
