// Secrets never reach the log: every Twilio REST call is made to fail (nothing listening, then
// an API that answers 500), each failure is logged as the server logs it, and the log is searched
// for the auth token and its HTTP Basic form. The error serializer alone keeps them out (no list
// of secrets given), and the line scrubber catches them however else they got in.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwilioProvider } from '@ringside/telephony';
import { createLogger, loggerOptions, safeError } from './logger';
import { freePort } from './db/embedded-db.mjs';

const SID = `AC${'5'.repeat(32)}`;
const TOKEN = 'tok-never-in-any-log-0123456789abcdef';
const BASIC = Buffer.from(`${SID}:${TOKEN}`).toString('base64');

let failing: Server;
let failingUrl = '';

beforeAll(async () => {
  failing = createServer((_req, res) => {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 20500, message: 'Internal Server Error', status: 500 }));
  });
  await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
  failingUrl = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => failing.close(() => resolve())));

function capture(secrets: string[]) {
  const lines: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: pino(loggerOptions('debug', secrets), out), text: () => lines.join('') };
}

/** Every REST call the adapter makes, each failing; the errors as the server logs them. */
async function failEverything(apiBase: string, log: ReturnType<typeof capture>['logger']) {
  const twilio = new TwilioProvider({
    accountSid: SID,
    authToken: TOKEN,
    apiBase,
    publicUrl: 'https://cc.example.com',
  });
  const calls: Array<[string, () => Promise<unknown>]> = [
    ['hold', () => twilio.hold('CA1')],
    ['connect', () => twilio.connect('CA1', { agentId: 'a1', address: 'client:agent1' })],
    ['hangup', () => twilio.hangup('CA1')],
    ['originate', () => twilio.originate({ to: '+48601234567', from: '+48221002000' })],
    ['sendSms', () => twilio.sendSms({ to: '+48601234567', from: '+48221002000', body: 'Reminder' })],
    ['listSms', () => twilio.listSms({ to: '+48601234567', sentAfter: new Date(0) })],
  ];
  let failed = 0;
  for (const [name, run] of calls) {
    try {
      await run();
    } catch (err) {
      failed += 1;
      log.error({ err, provider: 'twilio', action: name }, 'provider call failed');
      log.warn({ error: err }, 'the same error under another key');
    }
  }
  return failed;
}

describe('secrets never logged', () => {
  it('keeps the Twilio token out of the log when every REST call fails, unreachable or refused', async () => {
    const unreachable = `http://127.0.0.1:${await freePort()}`;
    for (const apiBase of [unreachable, failingUrl]) {
      const bare = capture([]); // the serializer alone
      const guarded = capture([TOKEN, BASIC]); // as the server runs it
      expect(await failEverything(apiBase, bare.logger)).toBe(6);
      expect(await failEverything(apiBase, guarded.logger)).toBe(6);
      for (const text of [bare.text(), guarded.text()]) {
        expect(text).toContain('provider call failed');
        expect(text).not.toContain(TOKEN);
        expect(text).not.toContain(BASIC);
        expect(text).not.toMatch(/Basic [A-Za-z0-9+/]{16,}/);
      }
    }
  });

  it('scrubs a secret however it got into a line, and keeps what an error says', () => {
    const log = capture([TOKEN]);
    log.logger.info({ note: `pasted ${TOKEN} by mistake`, header: `Basic ${BASIC}` }, 'odd line');
    expect(log.text()).not.toContain(TOKEN);
    expect(log.text()).not.toContain(BASIC);
    const err = Object.assign(new Error('request failed with status 500'), {
      config: { headers: { Authorization: `Basic ${BASIC}` }, auth: { username: SID, password: TOKEN } },
      response: { status: 500, headers: {} },
      code: 'ERR_BAD_RESPONSE',
    });
    expect(safeError(err)).toMatchObject({
      message: 'request failed with status 500',
      code: 'ERR_BAD_RESPONSE',
      status: 500,
    });
    expect(JSON.stringify(safeError(new Error('outer', { cause: err })))).not.toContain(TOKEN);
  });

  it('is what createLogger builds', () => {
    expect(createLogger('silent', {}, [TOKEN]).level).toBe('silent');
  });
});
