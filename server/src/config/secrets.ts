// Secrets a start without JWT_SECRET or Twilio credentials signs with: never a constant in the
// code. The embedded default keeps random ones in the data directory (secrets.json, mode 0600),
// so that tokens, `npm run call` and the demo's Twilio stand-in agree across restarts; anything
// else (the tests) gets random ones for its own process. Production never comes here: it refuses
// to start without real ones (config/env.ts).
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export interface GeneratedSecrets {
  jwtSecret: string;
  twilioAccountSid: string;
  twilioAuthToken: string;
}

const secretsSchema = z.object({
  jwtSecret: z.string().min(32),
  twilioAccountSid: z.string().regex(/^AC[0-9a-f]{32}$/),
  twilioAuthToken: z.string().min(32),
});

/** Random secrets for one process. */
export function freshSecrets(): GeneratedSecrets {
  return {
    jwtSecret: randomBytes(32).toString('base64url'),
    twilioAccountSid: `AC${randomBytes(16).toString('hex')}`,
    twilioAuthToken: randomBytes(32).toString('base64url'),
  };
}

export const SECRETS_FILE = 'secrets.json';

/**
 * The secrets kept in `dataDir/secrets.json`, made on first use (readable by this user only).
 * `created` says whether this call made them. Two processes starting together agree: the file
 * appears whole (written aside, then linked into place, which fails when it is already there) and
 * the loser reads the winner's.
 */
export function keptSecrets(dataDir: string): GeneratedSecrets & { path: string; created: boolean } {
  const path = join(dataDir, SECRETS_FILE);
  mkdirSync(dataDir, { recursive: true });
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(aside, `${JSON.stringify(freshSecrets(), null, 2)}\n`, { mode: 0o600 });
  try {
    linkSync(aside, path);
    return { ...readKept(path), path, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(aside, { force: true });
  }
  chmodSync(path, 0o600);
  return { ...readKept(path), path, created: false };
}

function readKept(path: string): GeneratedSecrets {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new Error(`${path} is not readable JSON: remove it to have new secrets made (signed-in users sign in again)`);
  }
  const parsed = secretsSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${path} does not hold Ringside's secrets: remove it to have new ones made`);
  return parsed.data;
}
