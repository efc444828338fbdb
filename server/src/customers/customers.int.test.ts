import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCustomer, startCallsHarness, until, type CallsHarness, type TestAgent } from '../testing/calls-harness';

let h: CallsHarness;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};

async function api(who: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${h.server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${tokens[who]}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } },
  };
}
const names = (r: { body: Record<string, unknown> }) =>
  ((r.body.customers ?? []) as Array<{ name: string }>).map((c) => c.name).sort();

beforeAll(async () => {
  h = await startCallsHarness();
  for (const who of ['agent1', 'agent2', 'supervisor', 'admin', 'legal']) {
    const res = await fetch(`${h.server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `${who}@ringside.test`, password: 'ringside' }),
    });
    const body = (await res.json()) as { token: string; user: { id: string } };
    tokens[who] = body.token;
    ids[who] = body.user.id;
  }
  const m = h.models;
  ids.lodz = (
    await addCustomer(m, { name: 'Piekarnia Łódź', phones: ['42 630 12 34'], ownerId: ids.agent1, labels: ['b2b'] })
  )._id.toString();
  ids.kovacs = (
    await addCustomer(m, {
      name: 'Kovács Anna',
      phones: ['06 30 123 4567'],
      country: 'HU',
      ownerId: ids.agent2,
      labels: ['vip'],
    })
  )._id.toString();
  ids.papa = (
    await addCustomer(m, { name: 'Γιώργος Παπαδόπουλος', phones: ['694 123 4567'], country: 'GR', ownerId: ids.agent1 })
  )._id.toString();
  for (let i = 0; i < 25; i++)
    await addCustomer(m, {
      name: `Kowalski ${String(i).padStart(2, '0')}`,
      phones: [`+48 600 200 ${String(100 + i)}`],
      ownerId: ids.agent1,
      labels: ['late-payer'],
    });
});

afterAll(async () => {
  await h.stop();
});

describe('customer search', () => {
  it('finds a phone written in any form', async () => {
    for (const phone of ['+36 30 123 4567', '0036301234567', '+36-30-123-4567']) {
      expect(names(await api('agent1', 'GET', `/api/customers?phone=${encodeURIComponent(phone)}`))).toEqual([
        'Kovács Anna',
      ]);
    }
    expect(names(await api('agent1', 'GET', `/api/customers?q=${encodeURIComponent('42 630-12-34')}`))).toEqual([
      'Piekarnia Łódź',
    ]);
    expect(
      names(await api('agent1', 'GET', `/api/customers?phone=${encodeURIComponent('0048 42 630 12 34')}`)),
    ).toEqual(['Piekarnia Łódź']);
  });

  it('finds a name prefix without case or diacritics, any word, Greek from Latin', async () => {
    expect(names(await api('agent1', 'GET', '/api/customers?q=lodz'))).toEqual(['Piekarnia Łódź']);
    expect(names(await api('agent1', 'GET', '/api/customers?q=KOVACS'))).toEqual(['Kovács Anna']);
    expect(names(await api('agent1', 'GET', '/api/customers?q=kov'))).toEqual(['Kovács Anna']);
    expect(names(await api('agent1', 'GET', '/api/customers?q=papad'))).toEqual(['Γιώργος Παπαδόπουλος']);
    expect(names(await api('agent1', 'GET', `/api/customers?q=${encodeURIComponent('Παπαδ')}`))).toEqual([
      'Γιώργος Παπαδόπουλος',
    ]);
    expect(names(await api('agent1', 'GET', '/api/customers?q=zzz'))).toEqual([]);
  });

  it('filters by label and pages with a cursor, without totals', async () => {
    const all: string[] = [];
    let path = '/api/customers?label=late-payer&limit=10';
    const sizes: number[] = [];
    for (let page = 1; page <= 5; page++) {
      const res = await api('agent1', 'GET', path);
      expect(res.status).toBe(200);
      const customers = res.body.customers as Array<{ name: string }>;
      sizes.push(customers.length);
      all.push(...customers.map((c) => c.name));
      if (!res.body.hasMore) {
        expect(res.body.cursor).toBeUndefined();
        break;
      }
      path = `/api/customers?label=late-payer&limit=10&page=${page + 1}&after=${encodeURIComponent(String(res.body.cursor))}`;
    }
    expect(sizes).toEqual([10, 10, 5]);
    expect(new Set(all).size).toBe(25);
    expect(names(await api('agent1', 'GET', '/api/customers?q=kowalski 1&label=late-payer'))).toHaveLength(10);
  });

  it('pages a name prefix with the cursor round trip, and refuses what it cannot use', async () => {
    const first = await api('agent1', 'GET', '/api/customers?q=kowal&limit=20');
    expect(first.body).toMatchObject({ hasMore: true, cursor: expect.any(String) });
    const second = await api('agent1', 'GET', `/api/customers?q=kowal&limit=20&after=${String(first.body.cursor)}`);
    expect(second.body.hasMore).toBe(false);
    expect(new Set([...names(first), ...names(second)]).size).toBe(25);
    const short = await api('agent1', 'GET', '/api/customers?q=ko');
    expect(short.status).toBe(400);
    expect(short.body.error).toMatchObject({
      message: expect.stringMatching(/at least 3 letters/),
      details: [{ path: 'q' }],
    });
    const bad = await api('agent1', 'GET', '/api/customers?q=kowal&after=xyz');
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toMatch(/after: is not a cursor/);
    const foreign = await api('agent1', 'GET', `/api/customers?q=nowak&after=${String(first.body.cursor)}`);
    expect(foreign.body.error?.message).toMatch(/another search/);
  });

  it('rejects searches it cannot run', async () => {
    expect((await api('agent1', 'GET', '/api/customers')).status).toBe(400);
    expect((await api('agent1', 'GET', '/api/customers?phone=abc')).body.error?.message).toMatch(/not a phone number/);
    expect((await api('agent1', 'GET', '/api/customers?q=kow&limit=1000')).status).toBe(400);
  });
});

describe('creating and changing customers', () => {
  it('validates with clear errors', async () => {
    const res = await api('agent1', 'POST', '/api/customers', {
      name: '',
      email: 'nope',
      phones: [{ raw: 'x1' }],
      timeZone: 'Mars/Olympus',
    });
    expect(res.status).toBe(400);
    expect(res.body.error?.message).toMatch(/name: is required/);
    expect(res.body.error?.message).toMatch(/email: must be an email address/);
    expect(res.body.error?.message).toMatch(/timeZone: must be an IANA time zone/);
    const badPhone = await api('agent1', 'POST', '/api/customers', { name: 'X', phones: [{ raw: '12 34' }] });
    expect(badPhone.body.error?.message).toMatch(/phones.0: "12 34" is not a phone number/);
  });

  it('creates a lead in two fields, normalized, and warns on a duplicate phone', async () => {
    const created = await api('agent2', 'POST', '/api/customers', {
      kind: 'lead',
      name: 'Marta Wiśniewska',
      phones: [{ raw: '0048 512-345-678' }],
    });
    expect(created.status).toBe(201);
    expect(created.body.customer).toMatchObject({
      kind: 'lead',
      name: 'Marta Wiśniewska',
      phones: [{ raw: '0048 512-345-678', e164: '+48512345678' }],
    });
    expect(names(await api('agent2', 'GET', '/api/customers?q=wisn'))).toEqual(['Marta Wiśniewska']);

    const dup = await api('agent2', 'POST', '/api/customers', { name: 'Marta W.', phones: [{ raw: '512 345 678' }] });
    expect(dup.status).toBe(409);
    expect(dup.body.error?.message).toMatch(/already exists: Marta Wiśniewska/);
    const forced = await api('agent2', 'POST', '/api/customers', {
      name: 'Marta W.',
      phones: [{ raw: '512 345 678' }],
      force: true,
    });
    expect(forced.status).toBe(201);
    expect((forced.body.warnings as Array<{ message: string }>)[0]?.message).toMatch(/Marta Wiśniewska/);
  });

  it('patches with validation; only supervisors reassign owners', async () => {
    const ok = await api('agent1', 'PATCH', `/api/customers/${ids.lodz}`, {
      labels: ['b2b', 'wholesale'],
      phones: [{ raw: '42 630 12 34' }, { raw: '+48 601 000 111', type: 'mobile' }],
    });
    expect(ok.status).toBe(200);
    expect(names(await api('agent1', 'GET', '/api/customers?phone=601000111'))).toEqual(['Piekarnia Łódź']);
    expect((await api('agent1', 'PATCH', `/api/customers/${ids.lodz}`, {})).status).toBe(400);
    expect((await api('agent1', 'PATCH', `/api/customers/${ids.lodz}`, { ownerId: ids.agent2 })).status).toBe(403);
    expect((await api('agent1', 'PATCH', '/api/customers/not-an-id', { name: 'x' })).status).toBe(400);
  });
});

describe('portfolio access control', () => {
  let agent1Socket: TestAgent;

  beforeAll(async () => {
    expect((await api('admin', 'PATCH', '/api/settings', { restrictToPortfolio: true })).status).toBe(200);
    agent1Socket = await h.agent('agent1@ringside.test');
  });

  it('refuses another portfolio by id, by search and in the pop; supervisors see everything', async () => {
    expect((await api('agent1', 'GET', `/api/customers/${ids.kovacs}`)).status).toBe(403);
    expect((await api('agent1', 'GET', `/api/customers/${ids.kovacs}/screen-pop`)).status).toBe(403);
    expect((await api('agent1', 'GET', `/api/customers/${ids.kovacs}/timeline`)).status).toBe(403);
    expect(names(await api('agent1', 'GET', '/api/customers?q=kovacs'))).toEqual([]);
    expect(names(await api('agent1', 'GET', '/api/customers?phone=0036301234567'))).toEqual([]);
    expect(names(await api('agent2', 'GET', '/api/customers?q=kovacs'))).toEqual(['Kovács Anna']);
    expect((await api('agent1', 'GET', `/api/customers/${ids.lodz}`)).status).toBe(200);
    expect((await api('supervisor', 'GET', `/api/customers/${ids.kovacs}`)).status).toBe(200);
    expect(names(await api('supervisor', 'GET', '/api/customers?q=kovacs'))).toEqual(['Kovács Anna']);
    // Label pages keep to the portfolio too.
    expect(names(await api('agent1', 'GET', '/api/customers?label=vip'))).toEqual([]);
    expect(names(await api('agent2', 'GET', '/api/customers?label=vip'))).toEqual(['Kovács Anna']);
    expect(names(await api('agent2', 'GET', '/api/customers?label=b2b'))).toEqual([]);
    expect(names(await api('agent1', 'GET', '/api/customers?label=b2b'))).toEqual(['Piekarnia Łódź']);
  });

  it("offers another owner's caller with identity only, and refuses the customer by socket", async () => {
    expect((await agent1Socket.setState('available')).ok).toBe(true);
    const { callSid } = await h.incoming('+36 30 123 4567');
    await until(() => agent1Socket.pops.some((p) => p.callId === callSid), 3000, 'pop');
    const pop = agent1Socket.pops.find((p) => p.callId === callSid);
    expect(pop?.customer).toMatchObject({ name: 'Kovács Anna', restricted: true, labels: [] });
    expect(pop?.balance.outstanding).toBe(0);
    expect(pop?.lastInteractions).toEqual([]);
    expect(await agent1Socket.emit('call:accept', { callId: callSid })).toEqual({ ok: true });
    expect(await h.status(callSid, 'completed')).toBe(204);
    await until(() => agent1Socket.ended.includes(callSid), 3000, 'ended');
    const denied = await agent1Socket.emit('call:wrapup', {
      callId: callSid,
      disposition: 'resolved',
      customerId: ids.kovacs,
    });
    expect(denied).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await agent1Socket.emit('call:wrapup', { callId: callSid, disposition: 'resolved' })).toEqual({ ok: true });
  });

  afterAll(async () => {
    await api('admin', 'PATCH', '/api/settings', { restrictToPortfolio: false });
  });
});

describe('cases, notes, tasks and the timeline', () => {
  it('keeps a case with notes and a task, and the timeline merges them with calls and notes', async () => {
    const note = await api('agent1', 'POST', `/api/customers/${ids.lodz}/notes`, { text: 'Prefers calls after 10:00' });
    expect(note.status).toBe(201);
    const created = await api('agent1', 'POST', '/api/cases', {
      customerId: ids.lodz,
      subject: 'Oven thermostat broken',
      priority: 'high',
    });
    expect(created.status).toBe(201);
    const caseId = (created.body.case as { id: string }).id;
    expect((await api('agent1', 'POST', `/api/cases/${caseId}/notes`, { text: 'Technician booked' })).status).toBe(201);
    const updated = await api('agent1', 'PATCH', `/api/cases/${caseId}`, { status: 'pending' });
    expect(updated.body.case).toMatchObject({
      status: 'pending',
      priority: 'high',
      notes: [{ text: 'Technician booked', authorName: 'Agent 1' }],
    });
    expect((await api('agent1', 'POST', '/api/cases', { customerId: ids.lodz, subject: '' })).status).toBe(400);
    expect((await api('legal', 'GET', `/api/cases/${caseId}`)).status).toBe(403);

    const task = await api('agent1', 'POST', '/api/tasks', {
      title: 'Call back about the thermostat',
      dueAt: '2026-12-01T09:00:00+01:00',
      customerId: ids.lodz,
    });
    expect(task.status).toBe(201);
    expect((await api('agent1', 'POST', '/api/tasks', { title: 'x', dueAt: 'tomorrow' })).status).toBe(400);
    expect(
      (await api('agent1', 'POST', '/api/tasks', { title: 'x', dueAt: '2026-12-01T09:00:00Z', assigneeId: ids.agent2 }))
        .status,
    ).toBe(403);
    const mine = await api('agent1', 'GET', '/api/tasks');
    expect((mine.body.tasks as Array<{ title: string; dueAt: string }>)[0]).toMatchObject({
      title: 'Call back about the thermostat',
      dueAt: '2026-12-01T08:00:00.000Z',
    });

    const timeline = await api('agent1', 'GET', `/api/customers/${ids.lodz}/timeline`);
    const entries = timeline.body.entries as Array<{ type: string; summary: string }>;
    expect(entries.map((e) => e.type)).toEqual(expect.arrayContaining(['note', 'case']));
    expect(entries.find((e) => e.type === 'note')?.summary).toBe('Prefers calls after 10:00');
  });
});

describe('orders', () => {
  it('takes an order from an integration with catalogue prices; the pop shows it', async () => {
    await h.models.Product.create({
      sku: 'MOW-100',
      name: 'Lawnmower 100',
      category: 'garden',
      price: 1499,
      currency: 'PLN',
    });
    expect(
      (await api('agent1', 'POST', '/api/orders', { customerId: ids.lodz, lines: [{ sku: 'MOW-100', quantity: 1 }] }))
        .status,
    ).toBe(403);
    const unknown = await api('admin', 'POST', '/api/orders', {
      customerId: ids.lodz,
      lines: [{ sku: 'NOPE', quantity: 1 }],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error?.message).toBe('lines.0.sku: no product NOPE');
    expect((await api('admin', 'POST', '/api/orders', { customerId: ids.lodz, lines: [] })).status).toBe(400);
    const created = await api('admin', 'POST', '/api/orders', {
      customerId: ids.lodz,
      lines: [{ sku: 'MOW-100', quantity: 2 }],
    });
    expect(created.status).toBe(201);
    expect(created.body.order).toMatchObject({
      total: 2998,
      currency: 'PLN',
      lines: [{ sku: 'MOW-100', name: 'Lawnmower 100', quantity: 2, unitPrice: 1499 }],
    });
    const pop = await api('agent1', 'GET', `/api/customers/${ids.lodz}/screen-pop`);
    expect((pop.body.recentPurchases as Array<{ sku: string; amount: number }>)[0]).toMatchObject({
      sku: 'MOW-100',
      amount: 2998,
    });
  });
});

describe('audit log', () => {
  it('records reads and changes with who and which call; admins only', async () => {
    await api('agent2', 'GET', `/api/customers/${ids.kovacs}?callId=CA${'1'.repeat(32)}`);
    const log = await api('admin', 'GET', `/api/audit?entityId=${ids.kovacs}`);
    expect(log.status).toBe(200);
    const entries = log.body.entries as Array<{ action: string; userName: string; callId?: string }>;
    expect(entries[0]).toMatchObject({ action: 'read', userName: 'Agent 2', callId: `CA${'1'.repeat(32)}` });
    const changes = await api('admin', 'GET', `/api/audit?entityId=${ids.lodz}`);
    expect((changes.body.entries as Array<{ action: string }>).map((e) => e.action)).toEqual(
      expect.arrayContaining(['update', 'read', 'note']),
    );
    expect((await api('supervisor', 'GET', '/api/audit')).status).toBe(403);
    expect((await api('admin', 'GET', '/api/audit?limit=0')).status).toBe(400);
  });
});
