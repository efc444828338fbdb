// Simulates an inbound Twilio call against a running Ringside: correctly signed webhooks,
// exactly as Twilio sends them (voice, then status callbacks), so an agent sees a pop.
//   npm run call                                   a demo customer with something overdue and suggestions
//   npm run call -- --from "+48 600 100 200"       any number
//   [--to "+48 22 100 20 00"] [--url http://localhost:3000] [--duration 60]
// Without --from, the caller is looked up in the database `npm start` serves (<DATA_DIR>/db, or
// MONGODB_URI), reusing the embedded server the running Ringside started.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Types } from 'mongoose';
import { z } from 'zod';
import { formatNational } from '@ringside/shared';
import { newCallSid, postTwilioWebhook } from '@ringside/telephony/testing';
import { ConfigError, loadConfig } from '../server/src/config/env';
import { keptSecrets } from '../server/src/config/secrets';
import { connectDatabase } from '../server/src/db/connection';
import type { Models } from '../server/src/db/models';
import { startDatabase } from '../server/src/db/embedded-db.mjs';

const DAY = 86_400_000;
/** How far back overdue invoices are looked at. */
const LOOK_BACK_MS = 3 * 365 * DAY;
/** Invoices read per due-date window: the window narrows below this, so no read is unbounded. */
const PER_WINDOW = 500;

const argsSchema = z.object({
  from: z.string().trim().min(1, { error: '--from needs a number, e.g. --from "+48 600 100 200"' }).optional(),
  to: z.string().default('+48221002000'),
  url: z.url({ error: '--url must be the running server, e.g. http://localhost:3000' }).optional(),
  duration: z.coerce.number({ error: '--duration must be seconds' }).int().min(1).max(3600).default(60),
  provider: z
    .literal('twilio', { error: '--provider: only twilio can be simulated from here (Asterisk calls come from a PBX)' })
    .default('twilio'),
});

/** A demo customer to ring, with what the agent will see. */
interface DemoCaller {
  name: string;
  e164: string;
  currency: string;
  overdue: number;
  overdueInvoices: number;
  oldestOverdueDays: number;
  suggestions: string[];
  /** A live dunning case sends the call to the collections queue instead of support. */
  dunningCase: boolean;
}

/** Ends the script with a message and an exit code. */
class Exit extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

/**
 * A customer who owes something overdue and has product suggestions, and whose number finds
 * only them: the most recently overdue first (by a day at least), preferring one without a live dunning case (whose
 * calls go to the support queue that agent1 takes). Every read is indexed and bounded: open
 * invoices by due-date windows ({status, dueAt}; the window halves while it holds too many),
 * then suggestions, dunning cases and customers of those invoices' customers by id, then the
 * phone index. Undefined when no customer qualifies.
 */
async function findDemoCaller(models: Models, now: Date): Promise<DemoCaller | undefined> {
  const seen = new Set<string>();
  let withCase: Types.ObjectId | undefined;
  let span = DAY;
  // From a day past due backwards: overdue by at least a day, and the newest debts first (the
  // dunning ladder opens a case on the third day).
  for (let end = now.getTime() - DAY; end > now.getTime() - LOOK_BACK_MS;) {
    const start = end - span;
    const invoices = await models.Invoice.find(
      { status: 'open', dueAt: { $gte: new Date(start), $lt: new Date(end) } },
      { customerId: 1, amount: 1, paid: 1 },
    )
      .limit(PER_WINDOW + 1)
      .lean();
    if (invoices.length > PER_WINDOW && span > 60_000) {
      span = Math.floor(span / 2); // too dense: the same end, a narrower window
      continue;
    }
    end = start;
    span = invoices.length === 0 ? Math.min(span * 2, 64 * DAY) : span;
    const ids = [
      ...new Map(
        invoices.filter((i) => i.amount - (i.paid ?? 0) > 0).map((i) => [i.customerId.toHexString(), i.customerId]),
      ).entries(),
    ]
      .filter(([hex]) => !seen.has(hex))
      .map(([hex, id]) => (seen.add(hex), id));
    if (ids.length === 0) continue;

    const suggested = (
      await models.CustomerSuggestions.find({ _id: { $in: ids } }, { items: { $slice: 1 } }).lean()
    ).filter((s) => s.items.length > 0);
    if (suggested.length === 0) continue;
    const cases = await models.DunningCase.find(
      { customerId: { $in: suggested.map((s) => s._id) } },
      { customerId: 1, status: 1 },
    ).lean();
    const live = new Set(cases.filter((c) => c.status !== 'closed').map((c) => c.customerId.toHexString()));
    // Keep the invoices' order: the most recently due first.
    const order = new Map(ids.map((id, i) => [id.toHexString(), i]));
    const ranked = suggested
      .map((s) => s._id)
      .sort((a, b) => (order.get(a.toHexString()) ?? 0) - (order.get(b.toHexString()) ?? 0));
    for (const id of ranked) {
      if (live.has(id.toHexString())) {
        withCase ??= id;
        continue;
      }
      const caller = await describeCaller(models, id, now, false);
      if (caller) return caller;
    }
  }
  return withCase ? describeCaller(models, withCase, now, true) : undefined;
}

async function describeCaller(
  models: Models,
  id: Types.ObjectId,
  now: Date,
  dunningCase: boolean,
): Promise<DemoCaller | undefined> {
  const customer = await models.Customer.findById(id, { name: 1, phones: 1, creditTerms: 1 }).lean();
  if (!customer) return undefined;
  let e164: string | undefined;
  for (const phone of customer.phones) {
    if (phone.wrongNumber) continue;
    // The number must find this customer alone, or the pop asks the agent to choose.
    const owners = await models.Customer.find({ phoneKeys: phone.e164 }, { _id: 1 }).limit(2).lean();
    if (owners.length === 1) {
      e164 = phone.e164;
      break;
    }
  }
  if (!e164) return undefined;
  const currency = customer.creditTerms?.currency ?? 'EUR';
  const [invoices, suggestions] = await Promise.all([
    models.Invoice.find(
      { customerId: id, status: 'open', dueAt: { $lt: now } },
      { amount: 1, paid: 1, dueAt: 1, currency: 1 },
    )
      .limit(1000)
      .lean(),
    models.CustomerSuggestions.findById(id, { items: 1 }).lean(),
  ]);
  // Counted as the pop counts them: open invoices in the customer's currency, past their due date.
  const overdue = invoices.filter((i) => i.currency === currency && i.amount - (i.paid ?? 0) > 0);
  if (overdue.length === 0 || !suggestions?.items.length) return undefined;
  const oldest = Math.min(...overdue.map((i) => i.dueAt.getTime()));
  return {
    name: customer.name,
    e164,
    currency,
    overdue: Math.round(overdue.reduce((sum, i) => sum + i.amount - (i.paid ?? 0), 0) * 100) / 100,
    overdueInvoices: overdue.length,
    oldestOverdueDays: Math.floor((now.getTime() - oldest) / DAY),
    suggestions: suggestions.items.map((s) => s.name),
    dunningCase,
  };
}

/** One line on who is calling: what the agent is about to see. */
function whoIsCalling(c: DemoCaller): string {
  const amount = `${c.overdue.toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${c.currency}`;
  const invoices = c.overdueInvoices === 1 ? '1 invoice' : `${c.overdueInvoices} invoices`;
  const days = c.oldestOverdueDays === 1 ? '1 day' : `${c.oldestOverdueDays} days`;
  const shown =
    c.suggestions.slice(0, 2).join(', ') + (c.suggestions.length > 2 ? `, +${c.suggestions.length - 2} more` : '');
  return `Calling as ${c.name} (${formatNational(c.e164)}, ${c.e164}): ${amount} overdue on ${invoices}, the oldest ${days} past due; suggestions: ${shown}`;
}

async function pickCaller(dataDir: string): Promise<DemoCaller> {
  const database = await startDatabase({ dataDir: resolve(dataDir, 'db') });
  const db = await connectDatabase(database.uri, { serverSelectionTimeoutMS: 5000 });
  try {
    const caller = await findDemoCaller(db.models, new Date());
    if (!caller) {
      throw new Exit(
        'no demo customer has something overdue and product suggestions. Demo data is loaded on the first `npm start` ' +
          '(or with `npm run seed -- --now today`) and its suggestions are computed right after it, within a minute; ' +
          'try again then, or ring any number with --from "+48 600 100 200"',
        2,
      );
    }
    return caller;
  } finally {
    await db.close();
    await database.stop();
  }
}

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
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) throw new Exit(parsed.error.issues.map((i) => i.message).join('; '), 2);
  const args = parsed.data;
  // The server's own secrets when it keeps them in the data directory (no TWILIO_AUTH_TOKEN set).
  const config = loadConfig(process.env, { secrets: (dataDir) => keptSecrets(resolve(dataDir)) });
  const server = (args.url ?? `http://localhost:${config.port}`).replace(/\/$/, '');
  const up = await fetch(`${server}/healthz`).then(
    (r) => r.ok,
    () => false,
  );
  if (!up) throw new Exit(`no Ringside answers at ${server}: start it with \`npm start\` (or point --url at it)`, 1);

  let from = args.from;
  if (!from) {
    const caller = await pickCaller(config.dataDir);
    console.log(whoIsCalling(caller));
    if (caller.dunningCase)
      console.log('This customer has a live dunning case: the call goes to the collections queue (agent4, agent5).');
    from = caller.e164;
  }

  const callSid = newCallSid();
  const post = (path: string, params: Record<string, string>) =>
    postTwilioWebhook({
      serverUrl: server,
      publicUrl: config.publicUrl,
      authToken: config.twilio.authToken,
      path,
      params,
    });
  const common = {
    CallSid: callSid,
    AccountSid: config.twilio.accountSid,
    From: from,
    To: args.to,
    Direction: 'inbound',
    ApiVersion: '2010-04-01',
  };

  const started = Date.now();
  const voice = await post('/telephony/twilio/voice', { ...common, CallStatus: 'ringing' });
  console.log(`call ${callSid} from ${from}: voice webhook → ${voice.status} in ${Date.now() - started} ms`);
  console.log(voice.body);
  if (voice.status !== 200) throw new Exit(`the server refused the call (HTTP ${voice.status})`, 1);
  await post('/telephony/twilio/status', { ...common, CallStatus: 'in-progress', SequenceNumber: '1' });

  console.log(
    process.stdin.isTTY
      ? `caller is on hold; press Enter to hang up (or wait ${args.duration}s)`
      : `hanging up in ${args.duration}s`,
  );
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
  const end = await post('/telephony/twilio/status', {
    ...common,
    CallStatus: 'completed',
    CallDuration: seconds,
    SequenceNumber: '2',
  });
  console.log(`call ${callSid} completed after ${seconds}s → ${end.status}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    const code = err instanceof Exit ? err.code : err instanceof ConfigError ? 2 : 1;
    process.stderr.write(`call: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(code);
  },
);
