import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page, Request } from 'playwright-core';
import { addCustomer, startCallsHarness, type CallsHarness, DEMO_PASSWORD, isCallable } from '@ringside/server/testing';
import { collectPageErrors, launchChromium, newConsoleContext, signIn, watchForPop } from './support/browser';
import { ensureConsoleBuilt } from './support/console-build';

// The console in a real browser against the real server and database: an agent and a
// supervisor each in their own browser profile, calls arriving as signed Twilio webhooks.

/** Every run takes its screenshots here, for a person to look at afterwards. */
const MORE_SCREENSHOTS = join(tmpdir(), 'ringside-e2e-screenshots');
/**
 * The ones the repository keeps (agent desk with a pop, wallboard, customer page) are
 * rewritten only when asked, `UPDATE_SCREENSHOTS=1`, so that a test run leaves the tree clean.
 */
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS
  ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url))
  : MORE_SCREENSHOTS;
const CALLER = '+48601234567';
const SECOND_CALLER = '+48602345678';
const DAY = 86_400_000;
/** Zones around the world: one of them is usually inside calling hours (08–20, Mon–Sat) right now. */
const ZONES = [
  'Europe/Warsaw',
  'Asia/Tokyo',
  'Pacific/Auckland',
  'Pacific/Kiritimati',
  'Asia/Kolkata',
  'America/Sao_Paulo',
  'America/New_York',
  'America/Los_Angeles',
  'Pacific/Honolulu',
];

/** A zone where the next ten minutes are inside calling hours, or null (a Sunday everywhere, say). */
function daytimeZone(now = new Date()): string | null {
  const soon = new Date(now.getTime() + 10 * 60_000);
  return ZONES.find((zone) => isCallable(now, zone) && isCallable(soon, zone)) ?? null;
}

/**
 * The call's `ringside:screenpop` and `ringside:card-painted` marks as epoch ms (the page's
 * Date.now() − performance.now() when read, the clock the test's Date.now() is on), waiting for
 * the second; and the resources (other than the socket's) the page started fetching between them.
 */
async function cardMarks(
  page: Page,
  callId: string,
): Promise<{ pop: number; painted: number; resourcesBetween: string[] }> {
  await page.waitForFunction(
    (id) =>
      performance
        .getEntriesByName('ringside:card-painted', 'mark')
        .some((m) => (m as PerformanceMark).detail?.callId === id),
    callId,
  );
  return page.evaluate((id) => {
    const at = (name: string) =>
      performance.getEntriesByName(name, 'mark').find((m) => (m as PerformanceMark).detail?.callId === id)?.startTime ??
      Number.NaN;
    const pop = at('ringside:screenpop');
    const painted = at('ringside:card-painted');
    const toEpoch = Date.now() - performance.now();
    const resourcesBetween = performance
      .getEntriesByType('resource')
      .filter(
        (r) => r.startTime >= pop && r.startTime <= painted && !new URL(r.name).pathname.startsWith('/socket.io/'),
      )
      .map((r) => r.name);
    return { pop: toEpoch + pop, painted: toEpoch + painted, resourcesBetween };
  }, callId);
}

let h: CallsHarness;
let browser: Browser;
let agent: Page;
let supervisor: Page;
let agentErrors: string[] = [];
let supervisorErrors: string[] = [];
let customerId = '';
let firstCall = '';

beforeAll(async () => {
  ensureConsoleBuilt();
  h = await startCallsHarness({
    // A person clicks here, not a test client: give the offer time to be read and accepted.
    OFFER_ACK_TIMEOUT_MS: '5000',
    OFFER_ACCEPT_TIMEOUT_MS: '120000',
  });
  const customer = await addCustomer(h.models, {
    name: 'Zofia Wiśniewska',
    phones: ['601 234 567'],
    labels: ['vip', 'garden'],
  });
  customerId = customer._id.toString();
  const now = Date.now();
  await h.models.Invoice.create({
    customerId: customer._id,
    number: 'FV/2025/0042',
    currency: 'PLN',
    amount: 1234.5,
    paid: 0,
    issuedAt: new Date(now - 40 * DAY),
    dueAt: new Date(now - 26 * DAY),
    status: 'open',
    paymentReference: 'RS-0042',
  });
  await h.models.CustomerSuggestions.collection.insertOne({
    _id: customer._id,
    items: [
      {
        sku: 'BLADE-42',
        name: 'Mower blades 42 cm',
        reason: 'Bought a lawnmower 11 months ago: blades wear out after a season',
        score: 0.91,
      },
      { sku: 'OIL-4T', name: 'Four-stroke engine oil', reason: 'Often bought together with mower blades', score: 0.62 },
    ],
    computedAt: new Date(now),
  });

  browser = await launchChromium();
  agent = await (await newConsoleContext(browser, h.server.url)).newPage();
  supervisor = await (await newConsoleContext(browser, h.server.url)).newPage();
  agentErrors = collectPageErrors(agent);
  supervisorErrors = collectPageErrors(supervisor);
  mkdirSync(SCREENSHOTS, { recursive: true });
  mkdirSync(MORE_SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

describe('agent console and supervisor wallboard in Chromium', () => {
  it('signs in an agent (desk) and a supervisor (wallboard) in two pages', async () => {
    await signIn(agent, 'agent1@ringside.test', DEMO_PASSWORD);
    expect(new URL(agent.url()).pathname).toBe('/desk');
    await signIn(supervisor, 'supervisor@ringside.test', DEMO_PASSWORD);
    expect(new URL(supervisor.url()).pathname).toBe('/wallboard');
    await supervisor.getByRole('heading', { name: 'Agents' }).waitFor();

    await agent.getByRole('group', { name: 'Change my state' }).getByRole('button', { name: 'Available' }).click();
    await agent.getByTestId('agent-state').filter({ hasText: 'Available' }).waitFor();
  });

  it('shows the whole pop in the agent page while the phone rings, and measures webhook → visible pop', async () => {
    const { visible } = await watchForPop(agent);
    // What the page asks the network for while the call comes (its own socket aside).
    const requests: Array<{ url: string; at: number }> = [];
    const onRequest = (request: Request) => {
      if (!new URL(request.url()).pathname.startsWith('/socket.io/'))
        requests.push({ url: request.url(), at: Date.now() });
    };
    agent.on('request', onRequest);
    const sentAt = Date.now();
    const webhook = await h.incoming(CALLER);
    const answeredAt = Date.now();
    await visible;
    // The desk marks the card painted for this call, and nothing was fetched between the pop and that mark.
    const marks = await cardMarks(agent, webhook.callSid);
    agent.off('request', onRequest);
    expect(marks.painted).toBeGreaterThanOrEqual(marks.pop);
    expect(requests.filter((r) => r.at >= marks.pop && r.at <= marks.painted)).toEqual([]);
    expect(marks.resourcesBetween).toEqual([]);
    const seenByTest = Date.now();
    const { stampedAt, receivedAt } = await agent.evaluate(() => {
      const mark = performance.getEntriesByName('ringside:screenpop').at(-1);
      return {
        stampedAt: (window as Window & { popVisibleAt?: number }).popVisibleAt ?? 0,
        receivedAt: mark ? performance.timeOrigin + mark.startTime : 0,
      };
    });
    firstCall = webhook.callSid;
    expect(webhook.status).toBe(200);
    console.log(
      `webhook → visible pop: ${stampedAt - sentAt} ms in the page (pop event received after ${Math.round(receivedAt - sentAt)} ms, ` +
        `webhook answered after ${answeredAt - sentAt} ms, seen by the test after ${seenByTest - sentAt} ms)`,
    );
    expect(stampedAt).toBeGreaterThanOrEqual(sentAt);

    const pop = agent.getByTestId('screen-pop');
    expect(await agent.getByTestId('pop-customer-name').textContent()).toBe('Zofia Wiśniewska');
    expect(await pop.getByTestId('pop-overdue').textContent()).toContain('1,234.50');
    expect(await pop.getByTestId('pop-overdue').textContent()).toContain('26 days overdue');
    expect(await pop.getByTestId('pop-suggestions').textContent()).toContain('Mower blades 42 cm');
    expect(await pop.getByTestId('pop-suggestions').textContent()).toContain('blades wear out after a season');
    expect(await agent.getByTestId('offer-card').textContent()).toContain('Zofia Wiśniewska');

    await agent.screenshot({ path: join(SCREENSHOTS, 'agent-desk-pop.png') });
  });

  it('shows the offer again after a reload during the offer', async () => {
    await agent.reload();
    await agent.getByTestId('offer-card').waitFor();
    expect(await agent.getByTestId('pop-customer-name').textContent()).toBe('Zofia Wiśniewska');
    expect(await agent.getByTestId('offer-card').count()).toBe(1);
  });

  it('accept, note, the caller hangs up, wrap up with a disposition → the note is in the customer timeline', async () => {
    // The offer takes the focus when it appears: one key answers the call.
    expect(await agent.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Accept');
    await agent.keyboard.press('Enter');
    const inCall = agent.getByTestId('in-call');
    await inCall.waitFor();
    const note = `Promised to pay FV/2025/0042 on Friday (${Date.now().toString(36)})`;
    await inCall.getByLabel('Notes').fill(note);
    await agent.screenshot({ path: join(MORE_SCREENSHOTS, 'in-call.png') });

    expect(await h.status(firstCall, 'completed')).toBeLessThan(300);
    const wrapUp = agent.getByTestId('wrap-up');
    await wrapUp.waitFor();
    expect(await wrapUp.getByLabel('Notes').inputValue()).toBe(note);
    await wrapUp.getByLabel('Disposition').selectOption('promise_to_pay');
    await agent.screenshot({ path: join(MORE_SCREENSHOTS, 'wrap-up.png') });
    await wrapUp.getByRole('button', { name: 'Save wrap-up' }).click();
    await agent.getByRole('heading', { name: 'No call right now' }).waitFor();

    await agent.getByRole('link', { name: 'Zofia Wiśniewska' }).click();
    await agent.waitForURL(`**/customers/${customerId}`);
    const timeline = agent.getByTestId('timeline');
    await timeline.getByText(note).waitFor();
    expect(await timeline.textContent()).toContain('Promise to pay');
    await agent.screenshot({ path: join(SCREENSHOTS, 'customer-360.png') });
  });

  it('the supervisor sees the waiting count go up while no agent is free and down when one is', async () => {
    await agent.getByRole('link', { name: 'Desk' }).click();
    // Wrapping up made the agent available again. The supervisor sets it away from the
    // wallboard, so the next call has to wait in the queue.
    await agent.getByTestId('agent-state').filter({ hasText: 'Available' }).waitFor();
    const row = supervisor.getByRole('row', { name: /Agent 1/ });
    const state = row.getByRole('cell').first();
    await state.filter({ hasText: 'Available' }).waitFor();
    await row.getByLabel('New state for Agent 1').selectOption('away');
    await row.getByRole('button', { name: 'Set' }).click();
    await agent.getByTestId('agent-state').filter({ hasText: 'Set by supervisor' }).waitFor();
    await state.filter({ hasText: 'Away' }).waitFor();

    const waiting = supervisor.getByTestId('queue-support-waiting');
    await waiting.filter({ hasText: /^0$/ }).waitFor({ timeout: 15_000 });
    const second = await h.incoming(SECOND_CALLER);
    expect(second.status).toBe(200);
    await waiting.filter({ hasText: /^1$/ }).waitFor({ timeout: 15_000 });
    await supervisor.screenshot({ path: join(SCREENSHOTS, 'supervisor-wallboard.png') });

    await agent.getByRole('group', { name: 'Change my state' }).getByRole('button', { name: 'Available' }).click();
    await agent.getByTestId('offer-card').waitFor();
    await agent.getByTestId('pop-unknown').waitFor(); // nobody has this number: quick-create a lead
    await agent.screenshot({ path: join(MORE_SCREENSHOTS, 'unknown-caller.png') });
    const lead = agent.getByTestId('pop-unknown');
    await lead.getByLabel('Name').fill('Piotr Nowak');
    expect(await lead.getByLabel('Phone').inputValue()).toBe(SECOND_CALLER);
    await lead.getByRole('button', { name: 'Create lead' }).click();
    await lead.getByText('Linked to this call').waitFor();
    expect(
      await h.models.Customer.countDocuments({ kind: 'lead', name: 'Piotr Nowak', phoneKeys: SECOND_CALLER }),
    ).toBe(1);
    await waiting.filter({ hasText: /^0$/ }).waitFor({ timeout: 15_000 });

    await h.status(second.callSid, 'completed');
    await agent.getByRole('heading', { name: 'No call right now' }).waitFor();
    expect(await agent.getByRole('status').filter({ hasText: 'hung up before the call was answered' }).count()).toBe(1);

    // The agent's own choice shows on the wallboard too.
    await agent.getByRole('button', { name: 'Away', exact: true }).click();
    await state.filter({ hasText: 'Away (Break)' }).waitFor();
  });

  it('finds customers by a name prefix without accents and by a phone written another way', async () => {
    await agent.getByRole('link', { name: 'Customers' }).click();
    const query = agent.getByLabel('Name, email or phone');
    await query.fill('wisniew');
    await agent.getByRole('button', { name: 'Search' }).click();
    await agent.getByRole('link', { name: 'Zofia Wiśniewska' }).waitFor();

    await query.fill('0048 601-234-567');
    await agent.getByRole('button', { name: 'Search' }).click();
    await agent.getByRole('link', { name: 'Zofia Wiśniewska' }).waitFor();
    expect(await agent.getByRole('row').count()).toBe(2); // the header and one customer
  });

  it("schedules a callback in the customer's time zone from the customer page and lists it under My callbacks", async () => {
    await agent.getByRole('link', { name: 'Zofia Wiśniewska' }).click();
    await agent.waitForURL(`**/customers/${customerId}`);
    await agent.getByText('Schedule a callback').click();
    await agent.getByLabel('Date (Europe/Warsaw)').fill('2031-03-14'); // a Friday
    await agent.getByLabel('Time (Europe/Warsaw)').fill('10:30');
    await agent.getByLabel('Reason').fill('Confirm the payment of FV/2025/0042');
    // The same moment on both clocks: Warsaw (the customer) and London (this browser).
    await agent.getByText('Fri 14 Mar, 10:30 (Europe/Warsaw)').waitFor();
    await agent.getByText('Fri 14 Mar, 09:30 (Europe/London)').waitFor();
    await agent.getByRole('button', { name: 'Schedule callback' }).click();
    await agent.screenshot({ path: join(MORE_SCREENSHOTS, 'callback-scheduler.png'), fullPage: true });
    const answer = agent.getByRole('status').filter({ hasText: /Callback scheduled|already existed|not available/ });
    await answer.waitFor();
    // A server without the callbacks API answers that it is not available; this one has it, and
    // answers with the effective time (inside calling hours here, so not moved).
    expect(await answer.textContent()).toContain(
      'Callback scheduled for Fri 14 Mar, 10:30 (Europe/Warsaw); you: Fri 14 Mar, 09:30 (Europe/London).',
    );
    expect(await answer.textContent()).not.toContain('moved');

    await agent.getByRole('link', { name: 'My callbacks' }).click();
    const list = agent.getByTestId('callbacks');
    await list.getByText('Confirm the payment of FV/2025/0042').waitFor();
    expect(await list.textContent()).toContain('Scheduled');
    // The customer's name links to the customer, not the phone number.
    await list.getByRole('link', { name: 'Zofia Wiśniewska' }).waitFor();
    await agent.screenshot({ path: join(MORE_SCREENSHOTS, 'my-callbacks.png') });
  });

  it("the supervisor reassigns the agent's scheduled callback to Agent 2 from the wallboard", async () => {
    const panel = supervisor.getByRole('region', { name: 'Callbacks waiting' });
    await panel.getByRole('button', { name: 'Refresh' }).click();
    const item = panel.getByRole('listitem').filter({ hasText: 'Confirm the payment of FV/2025/0042' });
    await item.getByTestId('callback-owner').filter({ hasText: 'Agent 1' }).waitFor();
    await item.getByLabel('Reassign the callback for Zofia Wiśniewska to').selectOption({ label: 'Agent 2' });
    await item.getByRole('button', { name: 'Reassign the callback for Zofia Wiśniewska' }).click();
    await item.getByTestId('callback-owner').filter({ hasText: 'Agent 2' }).waitFor();
    await supervisor.screenshot({ path: join(MORE_SCREENSHOTS, 'callback-reassign.png'), fullPage: true });

    const agent2 = await h.models.User.findOne({ email: 'agent2@ringside.test' }, { _id: 1 }).lean();
    const stored = await h.models.Callback.findOne({ reason: 'Confirm the payment of FV/2025/0042' }).lean();
    expect(stored?.assignedTo?.toString()).toBe(agent2?._id.toString());

    // Still there after a reload: the list comes from the server.
    await supervisor.reload();
    await supervisor
      .getByRole('region', { name: 'Callbacks waiting' })
      .getByRole('listitem')
      .filter({ hasText: 'Confirm the payment of FV/2025/0042' })
      .getByTestId('callback-owner')
      .filter({ hasText: 'Agent 2' })
      .waitFor();
  });

  it("click-to-dial from the customer page asks Twilio to call the number (or says it is outside the customer's calling hours)", async () => {
    // The server runs on the real clock: move the customer to a zone where it is daytime now.
    const zone = daytimeZone();
    await h.models.Customer.updateOne({ _id: customerId }, { $set: { timeZone: zone ?? 'Europe/Warsaw' } });
    const since = new Date();
    await agent.goto(`/customers/${customerId}`);
    await agent.getByRole('button', { name: 'Call Zofia Wiśniewska, 601 234 567' }).click();
    const status = agent.getByRole('status').filter({ hasText: /Calling \+|calling hours/ });
    await status.waitFor();
    if (zone) {
      expect(await status.textContent()).toContain(`Calling ${CALLER}…`);
      const dialed = await h.twilio.waitFor(
        (r) => r.method === 'POST' && r.path.endsWith('/Calls.json') && r.params.To === CALLER && r.at >= since,
      );
      expect(dialed.params.To).toBe(CALLER);
    } else {
      expect(await status.textContent()).toContain("outside the customer's calling hours.");
      expect(await status.textContent()).toMatch(/Next allowed: .+ \(Europe\/Warsaw\), you: .+ \(Europe\/London\)/);
      expect(h.twilio.requests.filter((r) => r.path.endsWith('/Calls.json') && r.at >= since)).toEqual([]);
    }
    await agent.screenshot({ path: join(MORE_SCREENSHOTS, 'click-to-dial.png') });
  });

  it('supervisors see no Call button on a customer page', async () => {
    await supervisor.goto(`/customers/${customerId}`);
    await supervisor.getByTestId('pop-customer-name').waitFor();
    expect(await supervisor.getByRole('button', { name: /^Call / }).count()).toBe(0);
  });

  it('raised no uncaught error in either page', () => {
    expect(agentErrors).toEqual([]);
    expect(supervisorErrors).toEqual([]);
  });
});
