import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  TWILIO,
  startCallsHarness,
  until,
  type CallsHarness,
  DEMO_PASSWORD,
  seedDatabase,
  SuggestionsService,
  DocumentStore,
  renderLegalSummary,
  createLogger,
  systemClock,
} from '@ringside/server/testing';
import { collectPageErrors, launchChromium, newConsoleContext, watchForPop } from './support/browser';
import { ensureConsoleBuilt } from './support/console-build';

// A newcomer's first minute, in a real browser against the real server and database: open `/`
// (not a deep link), sign in, land on one's own page; as agent1, press Available and run the
// real `npm run call` script with no --from: a demo customer with something overdue calls.

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const DAY = 86_400_000;

let h: CallsHarness;
let browser: Browser;
const pageErrors: string[][] = [];
let legalCustomer = '';

/** A page in a browser profile of its own (its own storage, so its own session). */
async function freshPage(): Promise<Page> {
  const page = await (await newConsoleContext(browser, h.server.url)).newPage();
  pageErrors.push(collectPageErrors(page));
  return page;
}

/** Opens `/`, is sent to the sign-in page (with nothing to redirect to), signs in. */
async function signInFromRoot(page: Page, email: string): Promise<void> {
  await page.goto('/');
  await page.waitForURL((url) => url.pathname === '/login');
  expect(new URL(page.url()).search).toBe('');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname !== '/login');
}

/** The script as a newcomer runs it (`npm run call` is `tsx scripts/call.ts`), with what it printed. */
function runCallScript(env: NodeJS.ProcessEnv): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn('npx', ['tsx', 'scripts/call.ts', '--url', h.server.url, '--duration', '5'], {
    cwd: REPO,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

beforeAll(async () => {
  ensureConsoleBuilt();
  h = await startCallsHarness({
    // A person clicks here, not a test client: give the offer time to be read and accepted.
    OFFER_ACK_TIMEOUT_MS: '5000',
    OFFER_ACCEPT_TIMEOUT_MS: '120000',
  });
  // Demo-like data as the first `npm start` loads it (anchored at today), then the suggestions
  // job's full run, as the server runs it right after.
  await seedDatabase(h.models, { customers: 300, seed: 1, now: new Date() });
  await new SuggestionsService({ models: h.models, clock: systemClock, logger: createLogger('silent') }).runFull();

  // One referral at the legal stage, with its summary, for legal's page.
  const customer = await h.models.Customer.findOne({ kind: 'person' }, { name: 1, phones: 1, timeZone: 1 })
    .sort({ _id: 1 })
    .lean();
  if (!customer) throw new Error('the seed wrote no customer');
  legalCustomer = customer.name;
  const now = new Date();
  const caseId = new Types.ObjectId();
  await h.models.DunningCase.create({
    _id: caseId,
    customerId: customer._id,
    currency: 'PLN',
    status: 'open',
    stage: 'legal',
    amount: 2345.67,
    oldestDueAt: new Date(now.getTime() - 60 * DAY),
    openedAt: new Date(now.getTime() - 57 * DAY),
    history: [{ at: now, action: 'legal', stage: 'legal' }],
    legalSummaryPath: `/api/dunning/cases/${caseId.toHexString()}/legal-summary`,
    caseKey: `${customer._id.toHexString()}|PLN|1`,
  });
  const pdf = await renderLegalSummary({
    customer: {
      name: customer.name,
      id: customer._id.toHexString(),
      timeZone: customer.timeZone,
      phones: customer.phones.map((p) => p.e164),
    },
    currency: 'PLN',
    invoices: [
      {
        number: 'FV/E2E/1',
        amount: 2345.67,
        open: 2345.67,
        dueAt: new Date(now.getTime() - 60 * DAY),
        paymentReference: 'RS-E2E-1',
      },
    ],
    total: 2345.67,
    openedAt: new Date(now.getTime() - 57 * DAY),
    at: now,
    caseRef: caseId.toHexString().slice(-10).toUpperCase(),
    history: [{ at: now, action: 'legal' }],
  });
  const db = h.server.db.conn.db;
  if (!db) throw new Error('no database handle');
  await new DocumentStore(db).putOnce({
    caseId,
    kind: 'legal-summary',
    filename: 'legal-e2e.pdf',
    contentType: 'application/pdf',
    createdAt: now,
    data: pdf,
  });

  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

describe('the first minute: from `/` to a first call', () => {
  it('agent1 opens `/`, lands on the desk, presses Available; `npm run call` with no --from puts a demo customer’s pop on screen', async () => {
    const agent = await freshPage();
    await signInFromRoot(agent, 'agent1@ringside.test');
    expect(new URL(agent.url()).pathname).toBe('/desk');
    await agent.getByRole('heading', { name: 'Agent desk' }).waitFor({ state: 'attached' });
    await agent.getByText('Connected', { exact: true }).waitFor();
    await agent.getByRole('group', { name: 'Change my state' }).getByRole('button', { name: 'Available' }).click();
    await agent.getByTestId('agent-state').filter({ hasText: 'Available' }).waitFor();

    const { visible } = await watchForPop(agent);

    // The script finds its caller in the database the server uses, as it does beside `npm start`.
    const { host, port, name: dbName } = h.server.db.conn;
    const script = runCallScript({
      ...process.env,
      MONGODB_URI: `mongodb://${host}:${port}/${dbName}?directConnection=true`,
      TWILIO_ACCOUNT_SID: TWILIO.sid,
      TWILIO_AUTH_TOKEN: TWILIO.token,
      PUBLIC_URL: TWILIO.publicUrl,
    });
    const failed = script.exited.then((code) => {
      throw new Error(`npm run call ended (exit ${code}) before the pop was visible:\n${script.output()}`);
    });
    await Promise.race([visible, failed]);

    // Who the script said is calling is who the pop shows, with what is overdue and suggestions.
    const who = /^Calling as (.+?) \((.+?), (\+\d+)\): (.+?) overdue on \d+ invoices?, .*; suggestions: (.+)$/m.exec(
      script.output(),
    );
    expect(who, script.output()).not.toBeNull();
    const [, name = '', , e164 = '', amount = '', suggestions = ''] = who ?? [];
    expect(await agent.getByTestId('pop-customer-name').textContent()).toBe(name);
    const pop = agent.getByTestId('screen-pop');
    expect(await pop.getByTestId('pop-overdue').textContent()).toContain(amount.split(' ')[0]);
    expect(await pop.getByTestId('pop-suggestions').textContent()).toContain(suggestions.split(', ')[0]);
    expect(await agent.getByTestId('offer-card').textContent()).toContain(name);

    // The customer really is one with something overdue and suggestions.
    const customer = await h.models.Customer.findOne({ phoneKeys: e164 }).lean();
    expect(customer?.name).toBe(name);
    const overdue = await h.models.Invoice.find({
      customerId: customer?._id,
      status: 'open',
      dueAt: { $lt: new Date() },
    }).lean();
    expect(overdue.some((i) => i.amount - (i.paid ?? 0) > 0)).toBe(true);
    expect((await h.models.CustomerSuggestions.findById(customer?._id).lean())?.items.length).toBeGreaterThan(0);

    // Webhook → visible pop: from the moment the server took the script's voice webhook.
    await until(() => /call (CA\w+) from/.test(script.output()), 10_000, 'the script to print its call');
    const callSid = /call (CA\w+) from/.exec(script.output())?.[1] ?? '';
    const call = await h.models.Call.findById(callSid, { receivedAt: 1 }).lean();
    const { stampedAt, eventAt } = await agent.evaluate(() => {
      const mark = performance.getEntriesByName('ringside:screenpop').at(-1);
      return {
        stampedAt: (window as Window & { popVisibleAt?: number }).popVisibleAt ?? 0,
        eventAt: mark ? performance.timeOrigin + mark.startTime : 0,
      };
    });
    expect(call?.receivedAt).toBeInstanceOf(Date);
    const receivedAt = call?.receivedAt.getTime() ?? 0;
    const ms = stampedAt - receivedAt;
    const answered = /voice webhook → 200 in (\d+) ms/.exec(script.output())?.[1] ?? '?';
    console.log(
      `first call (npm run call, no --from): ${name} rang; webhook → visible pop ${ms} ms ` +
        `(pop event in the page after ${eventAt ? Math.round(eventAt - receivedAt) : '?'} ms; the script saw the webhook answered in ${answered} ms)`,
    );
    expect(ms).toBeGreaterThanOrEqual(0);

    // The script hangs up after its --duration and ends well.
    expect(await script.exited).toBe(0);
    expect(script.output()).toMatch(/completed after \d+s → 2\d\d/);
  });

  it('the supervisor opens `/` and lands on the wallboard', async () => {
    const supervisor = await freshPage();
    await signInFromRoot(supervisor, 'supervisor@ringside.test');
    expect(new URL(supervisor.url()).pathname).toBe('/wallboard');
    await supervisor.getByRole('heading', { name: 'Wallboard' }).waitFor();
  });

  it('legal opens `/`, lands on the referrals and opens a case’s PDF summary', async () => {
    const legal = await freshPage();
    await signInFromRoot(legal, 'legal@ringside.test');
    expect(new URL(legal.url()).pathname).toBe('/legal');
    await legal.getByRole('heading', { name: 'Legal referrals' }).waitFor();
    const row = legal.getByTestId('referrals').getByRole('row').filter({ hasText: legalCustomer });
    await row.waitFor();
    expect(await row.textContent()).toContain('2,345.67');

    const [summary] = await Promise.all([
      legal.context().waitForEvent('page'),
      row.getByRole('button', { name: /Summary \(PDF\)/ }).click(),
    ]);
    await summary.waitForLoadState();
    expect(summary.url()).toMatch(/^blob:http/);
  });

  it('no page threw', () => {
    expect(pageErrors.flat()).toEqual([]);
  });
});
