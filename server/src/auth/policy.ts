// Who may do what: the one rulebook. Every HTTP route and socket handler asks it, through
// `allow` (role-level, as middleware), `authorize` (one record) or `scopeOf` (which records a list
// may show); nothing else looks at roles or owners to decide.
//
// Rules are positive only (no `cannot`): a user holding several roles may do what any of them
// may. Admins may do everything. Record-level conditions are on plain string ids, so build the
// records with `subjects.*` (which also drop the fields a document does not have).
import type { RequestHandler } from 'express';
import {
  AbilityBuilder,
  buildMongoQueryMatcher,
  createMongoAbility,
  detectSubjectType,
  subject,
  type ForcedSubject,
  type MongoAbility,
  type MongoQuery,
} from '@casl/ability';
import { ROLES, type Role } from '@ringside/shared';
import { forbidden } from '../errors';
import { viewerOf, type Viewer } from './viewer';

export const ACTIONS = [
  'read',
  /** Browse without naming a customer: one's own records, or everyone's. */
  'list',
  'create',
  'update',
  /** Give an existing record to someone: change its owner or assignee. */
  'assign',
  'note',
  'cancel',
  'delete',
  'accept',
  'wrapup',
  'dial',
  /** Record what was learned on a collections call. */
  'record',
  'run',
] as const;
export type Action = (typeof ACTIONS)[number] | 'manage';

/** A customer as the rules see it: whose portfolio it is in. */
export interface Owned {
  ownerId?: string;
}
interface OfCustomer {
  customer: Owned;
}

/** The fields each subject's rules look at. */
export interface SubjectFields {
  Customer: Owned;
  Order: OfCustomer;
  Case: OfCustomer & { kind: 'service' | 'legal' | 'dispute'; ownerId?: string };
  Task: { assigneeId: string };
  Callback: Partial<OfCustomer> & { assignedTo?: string; requestedBy?: string };
  DunningCase: OfCustomer;
  /** A dunning case's letter or legal summary. */
  Document: OfCustomer & { kind: 'letter' | 'legal-summary' };
  Opportunity: OfCustomer;
  Call: { agentId: string };
  AgentState: { agentId: string };
  AuditLog: object;
  Settings: object;
  Queue: object;
  User: object;
  /** The agents with their live state (`GET /api/agents`). */
  AgentRoster: object;
  SupervisorStats: object;
  /** A dunning scan run now (`POST /api/dunning/run`). */
  DunningScan: object;
  /** A full suggestions run now (`POST /api/suggestions/run`). */
  SuggestionsRun: object;
}
export type SubjectType = keyof SubjectFields;
export const SUBJECT_TYPES = [
  'Customer',
  'Order',
  'Case',
  'Task',
  'Callback',
  'DunningCase',
  'Document',
  'Opportunity',
  'Call',
  'AgentState',
  'AuditLog',
  'Settings',
  'Queue',
  'User',
  'AgentRoster',
  'SupervisorStats',
  'DunningScan',
  'SuggestionsRun',
] as const satisfies readonly SubjectType[];

export type SubjectRecord = { [K in SubjectType]: SubjectFields[K] & ForcedSubject<K> }[SubjectType];
export type AppAbility = MongoAbility<[Action, SubjectType | SubjectRecord | 'all'], MongoQuery>;

/** The company settings the rules depend on. */
export interface PolicySettings {
  /** Agents see and change only the customers they own (and what belongs to those). */
  restrictToPortfolio: boolean;
}

export const PORTFOLIO_REFUSAL = "this customer belongs to another agent's portfolio";

/** What `viewer` may do under `settings`. */
export function defineAbilityFor(viewer: Pick<Viewer, 'userId' | 'roles'>, settings: PolicySettings): AppAbility {
  const { can, build } = new AbilityBuilder<AppAbility>(createMongoAbility);
  const me = viewer.userId;
  const roles = new Set<Role>(viewer.roles);
  // The portfolio rule: with the setting on, an agent works on the customers it owns and on
  // what belongs to them; `field` is where the record names that customer's owner.
  const portfolio = (field: string): MongoQuery | undefined =>
    settings.restrictToPortfolio ? ({ [field]: me } as MongoQuery) : undefined;
  const own = (field: string) => ({ [field]: me }) as MongoQuery;

  // Everyone signed in.
  can('read', ['Settings', 'Queue']);
  can('read', 'Task', own('assigneeId')).because('you can list only your own tasks');
  can('update', 'Task', own('assigneeId')).because('not your task');
  can('create', 'Task', own('assigneeId')).because('only supervisors assign tasks to others');
  can('list', 'Callback', own('assignedTo'));
  for (const field of ['requestedBy', 'assignedTo'])
    can('cancel', 'Callback', own(field)).because('only its agent or a supervisor can cancel this callback');
  can('list', 'Case', own('ownerId'));
  can('update', 'AgentState', own('agentId')).because("only supervisors may set another agent's state");

  if (roles.has('agent')) {
    can(['read', 'update', 'dial'], 'Customer', portfolio('ownerId')).because(PORTFOLIO_REFUSAL);
    // Creating a customer for someone else is assigning it; without portfolios it may have no owner.
    can('create', 'Customer', own('ownerId')).because('only supervisors give a customer to another owner');
    if (!settings.restrictToPortfolio) can('create', 'Customer', { ownerId: { $exists: false } } as MongoQuery);
    can('read', 'Order', portfolio('customer.ownerId')).because(PORTFOLIO_REFUSAL);
    can(['read', 'update', 'note'], 'Case', portfolio('customer.ownerId')).because(PORTFOLIO_REFUSAL);
    can('create', 'Case', { ...own('ownerId'), ...portfolio('customer.ownerId') }).because(
      'only supervisors open cases for others',
    );
    can(['read', 'create'], 'Callback', portfolio('customer.ownerId')).because(PORTFOLIO_REFUSAL);
    can('accept', 'Callback');
    can(['read', 'record'], 'DunningCase', portfolio('customer.ownerId')).because(PORTFOLIO_REFUSAL);
    can('read', 'Document', portfolio('customer.ownerId')).because(PORTFOLIO_REFUSAL);
    // Opportunities are the account owner's, whatever the portfolio setting.
    can(['read', 'list', 'create', 'update'], 'Opportunity', own('customer.ownerId')).because(PORTFOLIO_REFUSAL);
    can(['accept', 'wrapup'], 'Call', own('agentId'));
  }

  if (roles.has('supervisor')) {
    can(['read', 'create', 'update', 'assign'], 'Customer');
    can('read', 'Order');
    can(['read', 'list', 'create', 'update', 'note', 'assign'], 'Case');
    can(['read', 'create', 'update', 'assign'], 'Task');
    can(['read', 'list', 'create', 'assign', 'cancel'], 'Callback');
    can(['read', 'list', 'record'], 'DunningCase');
    can('read', 'Document');
    can(['read', 'list', 'create', 'update'], 'Opportunity');
    can('read', ['SupervisorStats', 'AgentRoster']);
    can('update', 'AgentState');
  }

  if (roles.has('legal')) {
    can(['read', 'update'], 'Customer');
    can('create', 'Customer', own('ownerId')).because('only supervisors give a customer to another owner');
    can('create', 'Customer', { ownerId: { $exists: false } } as MongoQuery);
    can('read', 'Order');
    can(['read', 'list', 'update', 'note'], 'Case', { kind: 'legal' } as MongoQuery).because(
      'legal sees legal cases only',
    );
    can(['read', 'create'], 'Callback');
    can(['read', 'list'], 'DunningCase');
    can('read', 'Document');
  }

  if (roles.has('admin')) can('manage', 'all');
  return build();
}

/** The settings at their strictest. */
const STRICTEST: PolicySettings = { restrictToPortfolio: true };

/**
 * The ability for checks on a type ("may agents accept callbacks?") or on one's own records.
 * Those never depend on the company's settings (policy.test.ts proves it); a check on someone
 * else's record made with it may refuse what the real settings allow, never the reverse.
 */
export function strictAbilityFor(viewer: Pick<Viewer, 'userId' | 'roles'>): AppAbility {
  return defineAbilityFor(viewer, STRICTEST);
}

type Target = SubjectType | SubjectRecord;
const typeOf = (target: Target): SubjectType =>
  typeof target === 'string' ? target : (detectSubjectType(target) as SubjectType);

/**
 * Why `action` on `target` is refused: the reason of a rule that would allow it on other
 * records, else the roles that may do it at all ("requires role supervisor or legal").
 */
export function refusal(ability: AppAbility, action: Action, target: Target): string {
  const type = typeOf(target);
  const reason = ability.rulesFor(action, type).find((r) => r.reason)?.reason;
  if (reason) return reason;
  const allowed = ROLES.filter(
    (role) => role !== 'admin' && strictAbilityFor({ userId: '', roles: [role] }).can(action, type),
  );
  return `requires role ${allowed.length ? allowed.join(' or ') : 'admin'}`;
}

/** Throws 403 (with the refusal, or `message`) unless `ability` allows `action` on `target`. */
export function authorize(ability: AppAbility, action: Action, target: Target, message?: string): void {
  if (!ability.can(action, target)) throw forbidden(message ?? refusal(ability, action, target));
}

/**
 * Express middleware for role-level checks: the request goes on when its user may do `action`
 * on some `type` at all; which records is for `authorize` where they are loaded.
 */
export function allow(action: Action, type: SubjectType): RequestHandler {
  return (req, _res, next) => {
    authorize(strictAbilityFor(viewerOf(req)), action, type);
    next();
  };
}

/** A filter on a record's own fields, as MongoDB (and Mongoose, which casts the ids) reads it. */
export type Filter = Record<string, unknown>;

const matcher = buildMongoQueryMatcher();

/**
 * Which records of `type` `action` reaches, as filters on their own fields: any one of them
 * suffices (`[{}]`: all of them; `[]`: none). Conditions on fields given in `known` (say
 * `{customer}`, already loaded) are decided here and drop out of the filters.
 */
export function scopeOf(ability: AppAbility, action: Action, type: SubjectType, known: Filter = {}): Filter[] {
  const branches: Filter[] = [];
  for (const rule of ability.rulesFor(action, type)) {
    if (rule.inverted) throw new Error('policy rules are positive only');
    const conditions = (rule.conditions ?? {}) as Filter;
    const decided: Filter = {};
    const rest: Filter = {};
    for (const [field, value] of Object.entries(conditions))
      (field.split('.')[0]! in known ? decided : rest)[field] = value;
    if (Object.keys(decided).length && !matcher(decided as MongoQuery)(known)) continue;
    if (!Object.keys(rest).length) return [{}];
    branches.push(rest);
  }
  return branches;
}

/**
 * `filter` within each branch of `scope`, one filter per branch (run one query each: an `$or`
 * makes the database read the whole collection). A branch that contradicts the filter (kind
 * 'legal' where the filter asks for kind 'service') drops out.
 */
export function narrow(filter: Filter, scope: Filter[]): Filter[] {
  const out: Filter[] = [];
  for (const branch of scope) {
    const merged: Filter = { ...filter };
    let contradicts = false;
    for (const [field, value] of Object.entries(branch)) {
      // JSON: an ObjectId and its hex string are the same id.
      if (!(field in merged)) merged[field] = value;
      else if (JSON.stringify(merged[field]) === JSON.stringify(value)) continue;
      else if (isPlain(merged[field]) && isPlain(value)) contradicts = true;
      else merged.$and = [...((merged.$and as Filter[] | undefined) ?? []), { [field]: value }];
    }
    if (!contradicts) out.push(merged);
  }
  return out;
}

const isPlain = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** Something with a string form: an ObjectId or a string. */
type IdLike = string | { toString(): string };
const owned = (c: { ownerId?: IdLike | null } | null | undefined): Owned =>
  c?.ownerId ? { ownerId: c.ownerId.toString() } : {};
const optional = <K extends string>(key: K, v: IdLike | null | undefined) =>
  (v ? { [key]: v.toString() } : {}) as Partial<Record<K, string>>;

/** Records as the rules see them, from documents (ObjectIds or strings). */
export const subjects = {
  customer: (c: { ownerId?: IdLike | null } | null | undefined) => subject('Customer', owned(c)),
  order: (customer: { ownerId?: IdLike | null } | null | undefined) => subject('Order', { customer: owned(customer) }),
  case: (
    c: { kind: SubjectFields['Case']['kind']; ownerId?: IdLike | null },
    customer: { ownerId?: IdLike | null } | null | undefined,
  ) => subject('Case', { kind: c.kind, ...optional('ownerId', c.ownerId), customer: owned(customer) }),
  task: (t: { assigneeId: IdLike }) => subject('Task', { assigneeId: t.assigneeId.toString() }),
  callback: (
    cb: { assignedTo?: IdLike | null; requestedBy?: IdLike | null },
    customer?: { ownerId?: IdLike | null } | null,
  ) =>
    subject('Callback', {
      ...optional('assignedTo', cb.assignedTo),
      ...optional('requestedBy', cb.requestedBy),
      ...(customer === undefined ? {} : { customer: owned(customer) }),
    }),
  dunningCase: (customer: { ownerId?: IdLike | null } | null | undefined) =>
    subject('DunningCase', { customer: owned(customer) }),
  document: (kind: SubjectFields['Document']['kind'], customer: { ownerId?: IdLike | null } | null | undefined) =>
    subject('Document', { kind, customer: owned(customer) }),
  opportunity: (customer: { ownerId?: IdLike | null } | null | undefined) =>
    subject('Opportunity', { customer: owned(customer) }),
  call: (agentId: IdLike) => subject('Call', { agentId: agentId.toString() }),
  agentState: (agentId: IdLike) => subject('AgentState', { agentId: agentId.toString() }),
  /** The customer part of a record, for `scopeOf(…, {customer})`. */
  owner: owned,
};
