import { describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { ROLES, type Role } from '@ringside/shared';
import { AppError } from '../errors';
import {
  ACTIONS,
  PORTFOLIO_REFUSAL,
  SUBJECT_TYPES,
  authorize,
  defineAbilityFor,
  narrow,
  refusal,
  scopeOf,
  strictAbilityFor,
  subjects,
  type Action,
  type AppAbility,
  type SubjectRecord,
  type SubjectType,
} from './policy';

const ME = new Types.ObjectId().toHexString();
const OTHER = new Types.ObjectId().toHexString();
const mine = { ownerId: ME };
const theirs = { ownerId: OTHER };
const nobodys = {};

/** Which roles may: A agent, S supervisor, L legal. Admins may everything, always. */
type Who = string;
const LETTER: Record<Role, string> = { agent: 'A', supervisor: 'S', legal: 'L', admin: '*' };
const allows = (who: Who, role: Role) => role === 'admin' || who.includes(LETTER[role]);

const ability = (roles: Role[], restrictToPortfolio: boolean): AppAbility =>
  defineAbilityFor({ userId: ME, roles }, { restrictToPortfolio });

// Who may do an action on a subject at all (on some record), with the portfolio setting on or off.
const AT_ALL: Record<SubjectType, Partial<Record<Action, Who>>> = {
  Customer: { read: 'ASL', create: 'ASL', update: 'ASL', assign: 'S', dial: 'A' },
  Order: { read: 'ASL' },
  Case: { read: 'ASL', list: 'ASL', create: 'AS', update: 'ASL', note: 'ASL', assign: 'S' },
  Task: { read: 'ASL', create: 'ASL', update: 'ASL', assign: 'S' },
  Callback: { read: 'ASL', list: 'ASL', create: 'ASL', cancel: 'ASL', accept: 'A', assign: 'S' },
  DunningCase: { read: 'ASL', list: 'SL', record: 'AS' },
  Document: { read: 'ASL' },
  Opportunity: { read: 'AS', list: 'AS', create: 'AS', update: 'AS' },
  Call: { accept: 'A', wrapup: 'A' },
  AgentState: { update: 'ASL' },
  AuditLog: {},
  Settings: { read: 'ASL' },
  Queue: { read: 'ASL' },
  User: {},
  AgentRoster: { read: 'S' },
  SupervisorStats: { read: 'S' },
  DunningScan: {},
  SuggestionsRun: {},
};

interface Row {
  action: Action;
  what: string;
  record: () => SubjectRecord;
  /** Who may, with the portfolio setting off. */
  off: Who;
  /** … and on (the same when not given). */
  on?: Who;
}

const service = { kind: 'service' as const };
const legalCase = { kind: 'legal' as const };

// Who may, on particular records: the viewer is `ME`; "theirs" belongs to another agent.
const RECORDS: Row[] = [
  ...(['read', 'update'] as const).flatMap((action): Row[] => [
    { action, what: 'my customer', record: () => subjects.customer(mine), off: 'ASL' },
    { action, what: "another agent's customer", record: () => subjects.customer(theirs), off: 'ASL', on: 'SL' },
    { action, what: 'a customer nobody owns', record: () => subjects.customer(nobodys), off: 'ASL', on: 'SL' },
  ]),
  { action: 'dial', what: 'my customer', record: () => subjects.customer(mine), off: 'A' },
  { action: 'dial', what: "another agent's customer", record: () => subjects.customer(theirs), off: 'A', on: '' },
  { action: 'create', what: 'a customer of mine', record: () => subjects.customer(mine), off: 'ASL' },
  { action: 'create', what: "a customer in another's name", record: () => subjects.customer(theirs), off: 'S' },
  {
    action: 'create',
    what: 'a customer without owner',
    record: () => subjects.customer(nobodys),
    off: 'ASL',
    on: 'SL',
  },
  { action: 'assign', what: 'my customer', record: () => subjects.customer(mine), off: 'S' },
  { action: 'read', what: "my customer's orders", record: () => subjects.order(mine), off: 'ASL' },
  { action: 'read', what: "another's customer's orders", record: () => subjects.order(theirs), off: 'ASL', on: 'SL' },
  { action: 'create', what: 'an order', record: () => subjects.order(mine), off: '' },
  ...(['read', 'update', 'note'] as const).flatMap((action): Row[] => [
    { action, what: "my customer's service case", record: () => subjects.case(service, mine), off: 'AS' },
    {
      action,
      what: "another's customer's service case",
      record: () => subjects.case(service, theirs),
      off: 'AS',
      on: 'S',
    },
    {
      action,
      what: "another's customer's legal case",
      record: () => subjects.case(legalCase, theirs),
      off: 'ASL',
      on: 'SL',
    },
  ]),
  { action: 'create', what: 'a case of mine', record: () => subjects.case({ ...service, ...mine }, mine), off: 'AS' },
  {
    action: 'create',
    what: "a case of mine for another's customer",
    record: () => subjects.case({ ...service, ...mine }, theirs),
    off: 'AS',
    on: 'S',
  },
  {
    action: 'create',
    what: "a case in another's name",
    record: () => subjects.case({ ...service, ...theirs }, mine),
    off: 'S',
  },
  { action: 'assign', what: 'my case', record: () => subjects.case({ ...service, ...mine }, mine), off: 'S' },
  { action: 'list', what: 'my cases', record: () => subjects.case({ ...service, ...mine }, theirs), off: 'ASL' },
  {
    action: 'list',
    what: "another's service cases",
    record: () => subjects.case({ ...service, ...theirs }, mine),
    off: 'S',
  },
  {
    action: 'list',
    what: "another's legal cases",
    record: () => subjects.case({ ...legalCase, ...theirs }, mine),
    off: 'SL',
  },
  ...(['read', 'update', 'create'] as const).flatMap((action): Row[] => [
    { action, what: 'my task', record: () => subjects.task({ assigneeId: ME }), off: 'ASL' },
    { action, what: "another's task", record: () => subjects.task({ assigneeId: OTHER }), off: 'S' },
  ]),
  { action: 'assign', what: 'my task', record: () => subjects.task({ assigneeId: ME }), off: 'S' },
  ...(['read', 'create'] as const).flatMap((action): Row[] => [
    { action, what: 'a callback for my customer', record: () => subjects.callback({}, mine), off: 'ASL' },
    {
      action,
      what: "a callback for another's customer",
      record: () => subjects.callback({}, theirs),
      off: 'ASL',
      on: 'SL',
    },
  ]),
  { action: 'list', what: 'callbacks given to me', record: () => subjects.callback({ assignedTo: ME }), off: 'ASL' },
  { action: 'list', what: "another's callbacks", record: () => subjects.callback({ assignedTo: OTHER }), off: 'S' },
  {
    action: 'cancel',
    what: 'a callback I asked for',
    record: () => subjects.callback({ requestedBy: ME }),
    off: 'ASL',
  },
  { action: 'cancel', what: 'a callback given to me', record: () => subjects.callback({ assignedTo: ME }), off: 'ASL' },
  {
    action: 'cancel',
    what: "another's callback",
    record: () => subjects.callback({ requestedBy: OTHER, assignedTo: OTHER }),
    off: 'S',
  },
  { action: 'accept', what: 'a callback', record: () => subjects.callback({ assignedTo: OTHER }, theirs), off: 'A' },
  { action: 'assign', what: 'a callback', record: () => subjects.callback({ assignedTo: ME }, mine), off: 'S' },
  { action: 'read', what: "my customer's dunning case", record: () => subjects.dunningCase(mine), off: 'ASL' },
  { action: 'read', what: "another's dunning case", record: () => subjects.dunningCase(theirs), off: 'ASL', on: 'SL' },
  { action: 'record', what: "my customer's dunning outcome", record: () => subjects.dunningCase(mine), off: 'AS' },
  {
    action: 'record',
    what: "another's dunning outcome",
    record: () => subjects.dunningCase(theirs),
    off: 'AS',
    on: 'S',
  },
  { action: 'list', what: 'dunning cases', record: () => subjects.dunningCase(mine), off: 'SL' },
  ...(['letter', 'legal-summary'] as const).flatMap((kind): Row[] => [
    { action: 'read', what: `my customer's ${kind}`, record: () => subjects.document(kind, mine), off: 'ASL' },
    { action: 'read', what: `another's ${kind}`, record: () => subjects.document(kind, theirs), off: 'ASL', on: 'SL' },
  ]),
  ...(['read', 'list', 'create', 'update'] as const).flatMap((action): Row[] => [
    { action, what: "my customer's opportunity", record: () => subjects.opportunity(mine), off: 'AS' },
    { action, what: "another's customer's opportunity", record: () => subjects.opportunity(theirs), off: 'S' },
  ]),
  ...(['accept', 'wrapup'] as const).flatMap((action): Row[] => [
    { action, what: 'a call offered to me', record: () => subjects.call(ME), off: 'A' },
    { action, what: "another agent's call", record: () => subjects.call(OTHER), off: '' },
  ]),
  { action: 'update', what: 'my state', record: () => subjects.agentState(ME), off: 'ASL' },
  { action: 'update', what: "another agent's state", record: () => subjects.agentState(OTHER), off: 'S' },
];

const SETTINGS = [
  { restrictToPortfolio: false, label: 'portfolios off' },
  { restrictToPortfolio: true, label: 'portfolios on' },
];

describe.each(SETTINGS)('on records, $label', ({ restrictToPortfolio }) => {
  const cases = RECORDS.flatMap((row) => ROLES.map((role) => ({ ...row, role })));
  it.each(cases)('$role: $action $what', ({ role, action, record, off, on }) => {
    const who = restrictToPortfolio ? (on ?? off) : off;
    expect(ability([role], restrictToPortfolio).can(action, record())).toBe(allows(who, role));
  });
});

describe.each(SETTINGS)('on a type at all, $label', ({ restrictToPortfolio }) => {
  const cases = SUBJECT_TYPES.flatMap((type) =>
    ACTIONS.flatMap((action) => ROLES.map((role) => ({ type, action, role, who: AT_ALL[type][action] ?? '' }))),
  );
  it.each(cases)('$role: $action $type', ({ type, action, role, who }) => {
    expect(ability([role], restrictToPortfolio).can(action, type)).toBe(allows(who, role));
  });
});

describe('the rules taken together', () => {
  const combinations = ROLES.flatMap((a, i) => ROLES.slice(i + 1).map((b) => [a, b] as Role[]));

  it('lets a user with several roles do what any of them may, nothing more', () => {
    for (const { restrictToPortfolio } of SETTINGS)
      for (const roles of combinations)
        for (const row of RECORDS) {
          const each = roles.some((r) => ability([r], restrictToPortfolio).can(row.action, row.record()));
          expect(
            ability(roles, restrictToPortfolio).can(row.action, row.record()),
            `${roles.join('+')} ${row.what}`,
          ).toBe(each);
        }
  });

  it('answers checks on a type the same whatever the settings (what `allow` and `strictAbilityFor` rely on)', () => {
    for (const role of ROLES)
      for (const type of SUBJECT_TYPES)
        for (const action of ACTIONS)
          expect(ability([role], true).can(action, type)).toBe(ability([role], false).can(action, type));
  });

  it("puts a customer's callbacks with the customer: who may read it may read and schedule them", () => {
    for (const { restrictToPortfolio } of SETTINGS)
      for (const role of ROLES)
        for (const customer of [mine, theirs, nobodys]) {
          const a = ability([role], restrictToPortfolio);
          const readsCustomer = a.can('read', subjects.customer(customer));
          expect(a.can('read', subjects.callback({}, customer))).toBe(readsCustomer);
          expect(a.can('create', subjects.callback({}, customer))).toBe(readsCustomer);
        }
  });

  it('gives admins everything', () => {
    const admin = ability(['admin'], true);
    for (const type of SUBJECT_TYPES) for (const action of ACTIONS) expect(admin.can(action, type)).toBe(true);
    expect(scopeOf(admin, 'read', 'Customer')).toEqual([{}]);
  });

  it('searches customers with one filter at most, for every mix of roles', () => {
    const mixes = [...ROLES.map((r) => [r]), ...combinations];
    for (const { restrictToPortfolio } of SETTINGS)
      for (const roles of mixes)
        expect(scopeOf(ability(roles, restrictToPortfolio), 'read', 'Customer').length).toBe(1);
  });
});

describe('scopeOf', () => {
  it("is an agent's own portfolio with portfolios on, every customer otherwise", () => {
    expect(scopeOf(ability(['agent'], true), 'read', 'Customer')).toEqual([{ ownerId: ME }]);
    expect(scopeOf(ability(['agent'], false), 'read', 'Customer')).toEqual([{}]);
    expect(scopeOf(ability(['supervisor'], true), 'read', 'Customer')).toEqual([{}]);
  });

  it('decides the conditions on what is known (the customer) and keeps those on the record', () => {
    const customer = subjects.owner(theirs);
    expect(scopeOf(ability(['agent'], true), 'read', 'Case', { customer })).toEqual([]);
    expect(scopeOf(ability(['agent'], false), 'read', 'Case', { customer })).toEqual([{}]);
    expect(scopeOf(ability(['legal'], true), 'read', 'Case', { customer })).toEqual([{ kind: 'legal' }]);
    expect(scopeOf(ability(['agent', 'legal'], true), 'read', 'Case', { customer })).toEqual([{ kind: 'legal' }]);
    expect(scopeOf(ability(['agent'], true), 'read', 'Case', { customer: subjects.owner(mine) })).toEqual([{}]);
  });

  it('lists own records as branches, one query each', () => {
    expect(scopeOf(ability(['agent', 'legal'], false), 'list', 'Case')).toEqual(
      expect.arrayContaining([{ ownerId: ME }, { kind: 'legal' }]),
    );
    expect(scopeOf(ability(['agent'], false), 'list', 'Callback')).toEqual([{ assignedTo: ME }]);
    expect(scopeOf(ability(['supervisor'], false), 'list', 'Callback')).toEqual([{}]);
    expect(scopeOf(ability(['agent'], false), 'list', 'DunningCase')).toEqual([]);
  });
});

describe('narrow', () => {
  it('adds each branch to the filter, drops a contradicting one and keeps the ids comparable', () => {
    const me = new Types.ObjectId(ME);
    expect(narrow({ status: 'open' }, [{}])).toEqual([{ status: 'open' }]);
    expect(narrow({ status: 'open' }, [])).toEqual([]);
    expect(narrow({ kind: 'service' }, [{ kind: 'legal' }, { ownerId: ME }])).toEqual([
      { kind: 'service', ownerId: ME },
    ]);
    expect(narrow({ ownerId: me }, [{ ownerId: ME }])).toEqual([{ ownerId: me }]);
    expect(narrow({ ownerId: me }, [{ ownerId: OTHER }])).toEqual([{ ownerId: me, $and: [{ ownerId: OTHER }] }]);
  });
});

describe('refusals', () => {
  const refused = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('forbidden');
      return (err as AppError).message;
    }
    throw new Error('not refused');
  };

  it('say which roles may, when the user may not at all', () => {
    expect(refusal(strictAbilityFor({ userId: ME, roles: ['agent'] }), 'read', 'SupervisorStats')).toBe(
      'requires role supervisor',
    );
    expect(refused(() => authorize(ability(['agent'], false), 'list', 'DunningCase'))).toBe(
      'requires role supervisor or legal',
    );
    expect(refused(() => authorize(ability(['supervisor'], false), 'run', 'DunningScan'))).toBe('requires role admin');
    expect(refused(() => authorize(ability(['legal'], false), 'record', subjects.dunningCase(mine)))).toBe(
      'requires role agent or supervisor',
    );
  });

  it("give the rule's reason when the user may on other records", () => {
    expect(refused(() => authorize(ability(['agent'], true), 'read', subjects.customer(theirs)))).toBe(
      PORTFOLIO_REFUSAL,
    );
    expect(refused(() => authorize(ability(['legal'], true), 'read', subjects.case(service, theirs)))).toBe(
      'legal sees legal cases only',
    );
    expect(refused(() => authorize(ability(['agent'], false), 'create', subjects.task({ assigneeId: OTHER })))).toBe(
      'only supervisors assign tasks to others',
    );
    expect(refused(() => authorize(ability(['agent'], false), 'update', subjects.agentState(OTHER)))).toBe(
      "only supervisors may set another agent's state",
    );
    expect(refused(() => authorize(ability(['agent'], false), 'assign', 'Task', 'say it my way'))).toBe(
      'say it my way',
    );
  });
});

describe('subjects', () => {
  it('take ObjectIds or strings and leave out what a document lacks', () => {
    expect(subjects.customer({ ownerId: new Types.ObjectId(ME) })).toEqual({ ownerId: ME });
    expect(subjects.customer({})).toEqual({});
    expect(subjects.customer(null)).toEqual({});
    expect(subjects.callback({ assignedTo: undefined, requestedBy: new Types.ObjectId(ME) })).toEqual({
      requestedBy: ME,
    });
    expect(subjects.case({ kind: 'legal', ownerId: null }, { ownerId: OTHER })).toEqual({
      kind: 'legal',
      customer: { ownerId: OTHER },
    });
  });
});
