// What this process is (`--role`): the default launches the web process with one worker beside it.
import { z } from 'zod';

export type Role = 'launch' | 'web' | 'worker' | 'all';

const roleSchema = z.enum(['web', 'worker', 'all']);

/** The role from the command line, or `error:<message>` for a bad one. */
export function roleOf(argv: readonly string[]): Role | `error:${string}` {
  const at = argv.findIndex((a) => a === '--role' || a.startsWith('--role='));
  if (at === -1) return 'launch';
  const arg = argv[at] ?? '';
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[at + 1];
  const parsed = roleSchema.safeParse(value);
  if (!parsed.success) return `error:--role must be web, worker or all (got ${JSON.stringify(value ?? '')})`;
  return parsed.data;
}
