// The findings of the "Trust" issue over real HTTP: each of them was allowed before the policy
// (server/src/auth/policy.ts) became the one rulebook every route asks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/harness';
import { addCustomer } from '../testing/calls-harness';
import { DEMO_PASSWORD, seedDemoUsers } from '../seed/seed';

let server: TestServer;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};

type Answer = { status: number; body: Record<string, unknown> & { error?: { code: string; message: string } } };

async function api(who: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${tokens[who]}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

const portfolio = async (on: boolean) =>
  expect((await api('admin', 'PATCH', '/api/settings', { restrictToPortfolio: on })).status).toBe(200);

beforeAll(async () => {
  server = await startTestServer();
  await seedDemoUsers(server.db.models);
  for (const who of ['agent1', 'agent2', 'supervisor', 'admin']) {
    const res = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `${who}@ringside.test`, password: DEMO_PASSWORD }),
    });
    const body = (await res.json()) as { token: string; user: { id: string } };
    tokens[who] = body.token;
    ids[who] = body.user.id;
  }
  const m = server.db.models;
  ids.mine = (
    await addCustomer(m, { name: 'Mine Sp. z o.o.', phones: ['42 630 11 11'], ownerId: ids.agent1 })
  )._id.toString();
  ids.theirs = (
    await addCustomer(m, { name: 'Theirs Sp. z o.o.', phones: ['42 630 22 22'], ownerId: ids.agent2 })
  )._id.toString();
  await m.Product.create({ sku: 'OVEN-1', name: 'Oven', category: 'bakery', price: 900, currency: 'PLN' });
  for (const customerId of [ids.mine, ids.theirs]) {
    const order = await api('admin', 'POST', '/api/orders', { customerId, lines: [{ sku: 'OVEN-1', quantity: 1 }] });
    expect(order.status).toBe(201);
  }
});

afterAll(async () => {
  await server.stop();
  await server.db.drop?.();
});

describe('orders follow the portfolio rule', () => {
  beforeAll(() => portfolio(true));
  afterAll(() => portfolio(false));

  it("refuses an agent the orders of another agent's customer, with the customer's refusal", async () => {
    const theirs = await api('agent1', 'GET', `/api/orders?customerId=${ids.theirs}`);
    expect(theirs.status).toBe(403);
    expect(theirs.body).toEqual({
      error: { code: 'forbidden', message: "this customer belongs to another agent's portfolio" },
    });
    expect(theirs.body.orders).toBeUndefined();
    expect((await api('agent1', 'GET', `/api/customers/${ids.theirs}`)).status).toBe(403);
  });

  it('still lists the own customer’s orders to the agent, and anyone’s to a supervisor', async () => {
    const mine = await api('agent1', 'GET', `/api/orders?customerId=${ids.mine}`);
    expect(mine.status).toBe(200);
    expect(mine.body.orders).toMatchObject([{ lines: [{ sku: 'OVEN-1', quantity: 1 }] }]);
    const supervisor = await api('supervisor', 'GET', `/api/orders?customerId=${ids.theirs}`);
    expect(supervisor.status).toBe(200);
    expect(supervisor.body.orders).toHaveLength(1);
  });
});

describe('only supervisors assign', () => {
  it('refuses an agent reassigning its own task by PATCH, as POST does', async () => {
    const created = await api('agent1', 'POST', '/api/tasks', { title: 'Mine', dueAt: '2026-12-01T09:00:00Z' });
    expect(created.status).toBe(201);
    const taskId = (created.body.task as { id: string }).id;
    const viaPost = await api('agent1', 'POST', '/api/tasks', {
      title: 'Theirs',
      dueAt: '2026-12-01T09:00:00Z',
      assigneeId: ids.agent2,
    });
    expect(viaPost.status).toBe(403);
    const viaPatch = await api('agent1', 'PATCH', `/api/tasks/${taskId}`, { assigneeId: ids.agent2 });
    expect(viaPatch.status).toBe(403);
    expect(viaPatch.body.error).toEqual({ code: 'forbidden', message: 'only supervisors assign tasks to others' });
    const task = await server.db.models.Task.findById(taskId).lean();
    expect(task?.assigneeId.toString()).toBe(ids.agent1);
    // Its own tasks stay the agent's to change; a supervisor reassigns.
    expect((await api('agent1', 'PATCH', `/api/tasks/${taskId}`, { title: 'Mine, renamed' })).status).toBe(200);
    const moved = await api('supervisor', 'PATCH', `/api/tasks/${taskId}`, { assigneeId: ids.agent2 });
    expect(moved.status).toBe(200);
    expect(moved.body.task).toMatchObject({ assigneeId: ids.agent2, title: 'Mine, renamed' });
  });

  it('refuses an agent creating a customer owned by someone else; the own name or none is fine', async () => {
    const given = await api('agent1', 'POST', '/api/customers', { name: 'Gift Ltd', ownerId: ids.agent2 });
    expect(given.status).toBe(403);
    expect(given.body.error?.code).toBe('forbidden');
    expect(await server.db.models.Customer.countDocuments({ name: 'Gift Ltd' })).toBe(0);
    const own = await api('agent1', 'POST', '/api/customers', { name: 'Own Ltd', ownerId: ids.agent1 });
    expect(own.status).toBe(201);
    expect(own.body.customer).toMatchObject({ ownerId: ids.agent1 });
    const unowned = await api('agent1', 'POST', '/api/customers', { name: 'Nobody Ltd' });
    expect(unowned.status).toBe(201);
    expect((unowned.body.customer as { ownerId?: string }).ownerId).toBeUndefined();
    const bySupervisor = await api('supervisor', 'POST', '/api/customers', { name: 'Given Ltd', ownerId: ids.agent2 });
    expect(bySupervisor.status).toBe(201);
    expect(bySupervisor.body.customer).toMatchObject({ ownerId: ids.agent2 });
  });

  it('refuses an agent reassigning a case, and opening one in someone else’s name', async () => {
    const created = await api('agent1', 'POST', '/api/cases', { customerId: ids.mine, subject: 'Oven is cold' });
    expect(created.status).toBe(201);
    const caseId = (created.body.case as { id: string }).id;
    expect((await api('agent1', 'PATCH', `/api/cases/${caseId}`, { ownerId: ids.agent2 })).status).toBe(403);
    expect((await api('agent1', 'PATCH', `/api/cases/${caseId}`, { status: 'pending' })).status).toBe(200);
    const given = await api('agent1', 'POST', '/api/cases', {
      customerId: ids.mine,
      subject: 'For agent 2',
      ownerId: ids.agent2,
    });
    expect(given.status).toBe(403);
    expect((await api('supervisor', 'PATCH', `/api/cases/${caseId}`, { ownerId: ids.agent2 })).status).toBe(200);
  });
});

describe("tasks on another portfolio's case", () => {
  let theirCase: string;
  let myCase: string;

  beforeAll(async () => {
    const theirs = await api('agent2', 'POST', '/api/cases', { customerId: ids.theirs, subject: 'Their case' });
    const mine = await api('agent1', 'POST', '/api/cases', { customerId: ids.mine, subject: 'My case' });
    theirCase = (theirs.body.case as { id: string }).id;
    myCase = (mine.body.case as { id: string }).id;
    await portfolio(true);
  });
  afterAll(() => portfolio(false));

  it('refuses a task on a case the agent may not see, and takes one on its own', async () => {
    expect((await api('agent1', 'GET', `/api/cases/${theirCase}`)).status).toBe(403);
    const denied = await api('agent1', 'POST', '/api/tasks', {
      title: 'Sneak in',
      dueAt: '2026-12-01T09:00:00Z',
      caseId: theirCase,
    });
    expect(denied.status).toBe(403);
    expect(denied.body.error).toEqual({
      code: 'forbidden',
      message: "this customer belongs to another agent's portfolio",
    });
    expect(await server.db.models.Task.countDocuments({ title: 'Sneak in' })).toBe(0);
    const ok = await api('agent1', 'POST', '/api/tasks', {
      title: 'Follow up',
      dueAt: '2026-12-01T09:00:00Z',
      caseId: myCase,
    });
    expect(ok.status).toBe(201);
    const missing = await api('agent1', 'POST', '/api/tasks', {
      title: 'Nowhere',
      dueAt: '2026-12-01T09:00:00Z',
      caseId: '0123456789abcdef01234567',
    });
    expect(missing.status).toBe(404);
  });
});
