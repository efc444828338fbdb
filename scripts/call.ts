// Simulates an inbound Twilio call against a running Ringside: correctly signed webhooks,
// exactly as Twilio sends them (voice, then status callbacks), so an agent sees a pop.
//   npm run call -- --from "+48 600 100 200" [--to "+48 22 100 20 00"] [--url http://localhost:3000] [--duration 60]
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { newCallSid, postTwilioWebhook } from '@ringside/telephony/testing';
import { loadConfig } from '../server/src/config/env';

const argsSchema = z.object({
  from: z.string().min(1, { error: '--from is required, e.g. --from "+48 600 100 200"' }),
  to: z.string().default('+48221002000'),
  url: z.url({ error: '--url must be the running server, e.g. http://localhost:3000' }).optional(),
  duration: z.coerce.number({ error: '--duration must be seconds' }).int().min(1).max(3600).default(60),
  provider: z.literal('twilio', { error: '--provider: only twilio can be simulated from here (Asterisk calls come from a PBX)' }).default('twilio'),
});

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      url: { type: 'string' },
      duration: { type: 'string' },
      provider: { type: 'string' },
    },
  });
  const parsed = argsSchema.safeParse({ from: '', ...values });
  if (!parsed.success) {
    process.stderr.write(`call: ${parsed.error.issues.map((i) => i.message).join('; ')}\n`);
    process.exit(2);
  }
  const args = parsed.data;
  const config = loadConfig(process.env);
  const server = (args.url ?? `http://localhost:${config.port}`).replace(/\/$/, '');
  const callSid = newCallSid();

  const post = (path: string, params: Record<string, string>) =>
    postTwilioWebhook({ serverUrl: server, publicUrl: config.publicUrl, authToken: config.twilio.authToken, path, params });
  const common = { CallSid: callSid, AccountSid: config.twilio.accountSid, From: args.from, To: args.to, Direction: 'inbound', ApiVersion: '2010-04-01' };

  const started = Date.now();
  const voice = await post('/telephony/twilio/voice', { ...common, CallStatus: 'ringing' });
  console.log(`call ${callSid} from ${args.from}: voice webhook → ${voice.status} in ${Date.now() - started} ms`);
  console.log(voice.body);
  if (voice.status !== 200) process.exit(1);
  await post('/telephony/twilio/status', { ...common, CallStatus: 'in-progress', SequenceNumber: '1' });

  console.log(process.stdin.isTTY ? `caller is on hold; press Enter to hang up (or wait ${args.duration}s)` : `hanging up in ${args.duration}s`);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, args.duration * 1000);
    if (process.stdin.isTTY) {
      process.stdin.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
    }
  });
  const seconds = String(Math.round((Date.now() - started) / 1000));
  const end = await post('/telephony/twilio/status', { ...common, CallStatus: 'completed', CallDuration: seconds, SequenceNumber: '2' });
  console.log(`call ${callSid} completed after ${seconds}s → ${end.status}`);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`call: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
