import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from './env';
import { SECRETS_FILE, keptSecrets } from './secrets';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'ringside-secrets-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('secrets without an environment', () => {
  it('signs with random secrets, a new set per process, never a constant in the code', () => {
    const a = loadConfig({});
    const b = loadConfig({});
    expect(a.jwt.secret).toHaveLength(43);
    expect(a.jwt.secret).not.toBe(b.jwt.secret);
    expect(a.twilio.authToken).not.toBe(b.twilio.authToken);
    expect(a.twilio.accountSid).toMatch(/^AC[0-9a-f]{32}$/);
    expect(a.generatedSecrets).toEqual(['JWT_SECRET', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN']);
    // The constants an earlier version signed with are gone.
    expect(a.jwt.secret).not.toBe('ringside-development-only-secret-change-me');
    expect(a.twilio.authToken).not.toBe('ringside-development-twilio-token');
  });

  it('takes what the environment gives and generates only the rest', () => {
    const config = loadConfig({ JWT_SECRET: 'j'.repeat(40) });
    expect(config.jwt.secret).toBe('j'.repeat(40));
    expect(config.generatedSecrets).toEqual(['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN']);
    const full = loadConfig({
      JWT_SECRET: 'j'.repeat(40),
      TWILIO_ACCOUNT_SID: `AC${'c'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'token-1234567',
    });
    expect(full.generatedSecrets).toEqual([]);
  });

  it('keeps the embedded default’s secrets in the data directory, readable by this user only, the same after a restart', () => {
    const dataDir = tempDir();
    const first = loadConfig({ DATA_DIR: dataDir }, { secrets: keptSecrets });
    const again = loadConfig({ DATA_DIR: dataDir }, { secrets: keptSecrets });
    expect(again.jwt.secret).toBe(first.jwt.secret);
    expect(again.twilio).toEqual(first.twilio);
    const path = join(dataDir, SECRETS_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ jwtSecret: first.jwt.secret });
    expect(keptSecrets(dataDir).created).toBe(false);
  });

  it('makes one set when two starts race for it', () => {
    const dataDir = tempDir();
    const made = Array.from({ length: 8 }, () => keptSecrets(dataDir));
    expect(made.filter((m) => m.created)).toHaveLength(1);
    expect(new Set(made.map((m) => m.jwtSecret)).size).toBe(1);
  });

  it('says what to do with a secrets file it cannot use', () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, SECRETS_FILE), '{"jwtSecret":"short"}');
    expect(() => keptSecrets(dataDir)).toThrow(/does not hold Ringside's secrets: remove it/);
    writeFileSync(join(dataDir, SECRETS_FILE), 'not json');
    expect(() => keptSecrets(dataDir)).toThrow(/not readable JSON/);
  });
});
