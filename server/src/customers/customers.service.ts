import { Types, type QueryFilter } from 'mongoose';
import { z } from 'zod';
import { nameKeys, normalizePhone, type CountryCode, objectIdOf, type CustomerSearchAnswer } from '@ringside/shared';
import type { Models } from '../db/models';
import type { Viewer } from '../auth/viewer';
import { toObjectId } from '../db/ids';
import type { Customer, Phone } from '../db/schemas/customer.model';
import { badRequest, conflict, notFound, parseOrThrow } from '../errors';
import { authorize, defineAbilityFor, scopeOf, subjects, type AppAbility } from '../auth/policy';
import {
  decodeCursor,
  encodeCursor,
  letterCount,
  MIN_PREFIX,
  prefixRanges,
  type KeyRange,
  type Position,
} from './search/keys';
import { CustomerSearch, type Page, type SearchTuning } from './search/search';

/** The fields of a customer in lists and search results. */
const SUMMARY = { kind: 1, name: 1, email: 1, phones: 1, labels: 1, ownerId: 1 } as const;

const phoneInput = z.object({
  raw: z.string().trim().min(3, { error: 'phone is too short' }).max(40),
  type: z.enum(['mobile', 'landline', 'work', 'switchboard', 'other']).default('mobile'),
});
const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { error: 'must be an IANA time zone such as Europe/Warsaw' },
);
const label = z
  .string()
  .trim()
  .toLowerCase()
  .min(1)
  .max(40)
  .regex(/^[\p{L}\p{N} _-]+$/u, { error: 'labels are words, digits, spaces, - and _' });

const contactInput = z.object({
  name: z.string().trim().min(1).max(200),
  role: z.string().max(100).optional(),
  email: z.email().optional(),
  phones: z.array(phoneInput).max(10).default([]),
});

/** Every field a customer has, none required and none defaulted: the shape of a change. */
const customerFields = {
  kind: z.enum(['person', 'company', 'lead']),
  name: z.string().trim().min(1, { error: 'is required' }).max(200),
  email: z.email({ error: 'must be an email address' }),
  phones: z.array(phoneInput).max(10),
  contacts: z.array(contactInput).max(50),
  labels: z.array(label).max(30),
  ownerId: objectIdOf('a user id'),
  country: z.string().length(2).toUpperCase(),
  timeZone,
  creditTerms: z
    .object({
      limit: z.number().min(0).max(1e9),
      paymentTermsDays: z.number().int().min(0).max(365),
      currency: z.string().length(3).toUpperCase(),
    })
    .partial(),
  flags: z.object({ doNotCall: z.boolean(), smsConsent: z.boolean(), doNotSms: z.boolean() }).partial(),
};

export const customerCreateSchema = z.object({
  ...customerFields,
  kind: customerFields.kind.default('person'),
  email: customerFields.email.optional(),
  phones: customerFields.phones.default([]),
  contacts: customerFields.contacts.default([]),
  labels: customerFields.labels.default([]),
  ownerId: customerFields.ownerId.optional(),
  country: customerFields.country.optional(),
  timeZone: timeZone.optional(),
  creditTerms: customerFields.creditTerms.optional(),
  flags: customerFields.flags.optional(),
  /** Create even when the phone or email belongs to another customer. */
  force: z.boolean().default(false),
});
export type CustomerCreate = z.infer<typeof customerCreateSchema>;

export const customerPatchSchema = z
  .object(customerFields)
  .partial()
  .refine((v) => Object.keys(v).length > 0, { error: 'nothing to change' });

export const customerSearchSchema = z.object({
  q: z.string().trim().max(100).optional(),
  phone: z.string().trim().max(40).optional(),
  label: label.optional(),
  /** The `cursor` of the page before (`cursor=` is accepted as well). */
  after: z.string().max(2000).optional(),
  cursor: z.string().max(2000).optional(),
  /** The page's number, for display: pages are found by `after`, never skipped to. */
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

const COUNTRY_ZONES: Record<string, string> = {
  PL: 'Europe/Warsaw',
  HR: 'Europe/Zagreb',
  HU: 'Europe/Budapest',
  GR: 'Europe/Athens',
};
const COUNTRY_CURRENCY: Record<string, string> = { PL: 'PLN', HR: 'EUR', HU: 'HUF', GR: 'EUR' };

export interface CustomerSummary {
  id: string;
  kind: Customer['kind'];
  name: string;
  email?: string;
  phones: Array<{ raw: string; e164: string }>;
  labels: string[];
  ownerId?: string;
}

export const toSummary = (
  c: Pick<Customer, '_id' | 'kind' | 'name' | 'email' | 'phones' | 'labels' | 'ownerId'>,
): CustomerSummary => ({
  id: c._id.toString(),
  kind: c.kind,
  name: c.name,
  ...(c.email ? { email: c.email } : {}),
  phones: c.phones.map((p) => ({ raw: p.raw, e164: p.e164 })),
  labels: c.labels,
  ...(c.ownerId ? { ownerId: c.ownerId.toString() } : {}),
});

/** Customers: search on indexed, normalized keys (never regex), access by portfolio, validation. */
export class CustomerService {
  private readonly finder: CustomerSearch;

  constructor(
    private readonly models: Models,
    private readonly defaultCountry: string,
    tuning?: SearchTuning,
  ) {
    this.finder = new CustomerSearch(models, tuning);
  }

  private portfolioCache: { value: boolean; until: number } | undefined;

  /** The company's portfolio setting; read at most once a second (it is on the pop path). */
  async restrictedToPortfolio(): Promise<boolean> {
    const now = Date.now();
    if (this.portfolioCache && this.portfolioCache.until > now) return this.portfolioCache.value;
    const settings = await this.models.Settings.findById('company', { restrictToPortfolio: 1 }).lean();
    this.portfolioCache = { value: settings?.restrictToPortfolio ?? false, until: now + 1000 };
    return this.portfolioCache.value;
  }

  /** The settings changed in this process: read them again next time. */
  settingsChanged(): void {
    this.portfolioCache = undefined;
  }

  /** What `viewer` may do under the company's settings (server/src/auth/policy.ts has the rules). */
  async abilityFor(viewer: Pick<Viewer, 'userId' | 'roles'>): Promise<AppAbility> {
    return defineAbilityFor(viewer, { restrictToPortfolio: await this.restrictedToPortfolio() });
  }

  /** Refuses (403) unless `viewer` may read this customer (the portfolio rule). */
  async assertCanSee(viewer: Pick<Viewer, 'userId' | 'roles'>, customer: Pick<Customer, 'ownerId'>): Promise<void> {
    authorize(await this.abilityFor(viewer), 'read', subjects.customer(customer));
  }

  normalizePhones(phones: Array<{ raw: string; type: Phone['type'] }>, country: string): Phone[] {
    return phones.map((p, i) => {
      const n = normalizePhone(p.raw, country as CountryCode);
      if (!n) throw badRequest(`phones.${i}: "${p.raw}" is not a phone number`);
      return { raw: p.raw, e164: n.e164, type: p.type };
    });
  }

  /**
   * A phone (any written form) on `phoneKeys`, an email on `emailKey`: one indexed equality.
   * A name prefix (folded: "lodz" finds "Łódź"; at least MIN_PREFIX letters) and a label: keyset
   * pages through bounded reads (search/search.ts), with an opaque `cursor` to the next page.
   * No exact totals on a hot path: `hasMore` says whether another page follows.
   */
  async search(input: unknown, viewer: Viewer): Promise<CustomerSearchAnswer> {
    const p = parseOrThrow(customerSearchSchema, input, 'search');
    // One filter at most (policy.test.ts): a second would need a second query per search.
    const [scope, ...more] = scopeOf(await this.abilityFor(viewer), 'read', 'Customer');
    if (!scope) return { customers: [], page: p.page, hasMore: false };
    if (more.length) throw new Error('customer search: the policy gave more than one scope');
    const filter: QueryFilter<Customer> = { ...scope };
    const token = p.after ?? p.cursor;
    const phone = p.phone ?? (p.q && /^[+(]?[\d\s().-]{6,}$/.test(p.q) ? p.q : undefined);
    if (phone || (p.q && p.q.includes('@'))) {
      if (token || p.page > 1)
        throw badRequest('phone and email searches have one page', [
          { path: 'after', message: 'not used by phone and email searches' },
        ]);
      if (phone) {
        const n = normalizePhone(phone, this.defaultCountry as CountryCode);
        if (!n) throw badRequest(`"${phone}" is not a phone number`);
        filter.phoneKeys = n.e164;
      } else filter.emailKey = (p.q ?? '').toLowerCase();
      if (p.label) filter.labels = p.label;
      const docs = await this.models.Customer.find(filter, SUMMARY)
        .limit(p.limit + 1)
        .lean();
      return { customers: docs.slice(0, p.limit).map(toSummary), page: 1, hasMore: docs.length > p.limit };
    }
    if (!p.q && !p.label) throw badRequest('give q (name, email or phone), phone or label');
    if (p.page > 1 && !token)
      throw badRequest('page: send the cursor of the page before as after=…', [
        { path: 'after', message: 'is required for a page after the first' },
      ]);
    if (p.q) {
      const letters = letterCount(p.q);
      if (letters < MIN_PREFIX)
        throw badRequest(`q: give at least ${MIN_PREFIX} letters of the name`, [
          { path: 'q', message: `needs at least ${MIN_PREFIX} letters`, minimum: MIN_PREFIX, got: letters },
        ]);
      const ranges = prefixRanges(p.q);
      const after = token ? this.cursorOrThrow(token, 'name', ranges) : undefined;
      const found = await this.finder.byName({
        ranges,
        scope: filter,
        ...(p.label ? { label: p.label } : {}),
        limit: p.limit,
        ...(after ? { after } : {}),
      });
      return this.answer(found, p.page, 'name');
    }
    const label = p.label ?? '';
    const after = token ? this.cursorOrThrow(token, 'label') : undefined;
    const found = await this.finder.byLabel({ label, scope: filter, limit: p.limit, ...(after ? { after } : {}) });
    return this.answer(found, p.page, 'label');
  }

  private cursorOrThrow(token: string, kind: 'name' | 'label', ranges?: KeyRange[]): Position {
    const c = decodeCursor(token, kind, ranges);
    if (!c.ok) throw badRequest(`after: ${c.reason}; start again without it`, [{ path: 'after', message: c.reason }]);
    return c.position;
  }

  private answer(found: Page, page: number, kind: 'name' | 'label'): CustomerSearchAnswer {
    return {
      customers: found.docs.map(toSummary),
      page,
      hasMore: found.next !== undefined,
      ...(found.next ? { cursor: encodeCursor(kind, found.next) } : {}),
    };
  }

  async get(id: string, viewer: Viewer) {
    const customer = await this.models.Customer.findById(toObjectId(id), { nameKeys: 0 }).lean();
    if (!customer) throw notFound('customer');
    await this.assertCanSee(viewer, customer);
    return customer;
  }

  /** Existing customers that already have one of these numbers or this email. */
  async duplicates(
    phoneKeys: string[],
    emailKey: string | undefined,
    except?: Types.ObjectId,
  ): Promise<CustomerSummary[]> {
    // One indexed query per key, merged here: an `$or` would make the database read every customer.
    const filters: QueryFilter<Customer>[] = [];
    if (phoneKeys.length) filters.push({ phoneKeys: { $in: phoneKeys } });
    if (emailKey) filters.push({ emailKey });
    if (!filters.length) return [];
    const found = await Promise.all(
      filters.map((f) =>
        this.models.Customer.find({ ...f, ...(except ? { _id: { $ne: except } } : {}) }, SUMMARY)
          .limit(10)
          .lean(),
      ),
    );
    return [...new Map(found.flat().map((d) => [d._id.toString(), d])).values()].slice(0, 10).map(toSummary);
  }

  async create(input: unknown, viewer: Viewer): Promise<{ customer: CustomerSummary; duplicates: CustomerSummary[] }> {
    const body = parseOrThrow(customerCreateSchema, input, 'customer');
    // Whoever may not create a customer without owner (agents restricted to their portfolio) owns it.
    const ability = await this.abilityFor(viewer);
    const ownerId = body.ownerId ?? (ability.can('create', subjects.customer({})) ? undefined : viewer.userId);
    authorize(ability, 'create', subjects.customer({ ownerId }));
    const country = body.country ?? this.defaultCountry;
    const phones = this.normalizePhones(body.phones, country);
    const contacts = body.contacts.map((c) => ({ ...c, phones: this.normalizePhones(c.phones, country) }));
    const phoneKeys = [...new Set([...phones, ...contacts.flatMap((c) => c.phones)].map((p) => p.e164))];
    const emailKey = body.email?.toLowerCase();
    const duplicates = await this.duplicates(phoneKeys, emailKey);
    if (duplicates.length && !body.force) {
      throw conflict(
        `a customer with this ${duplicates.some((d) => d.email?.toLowerCase() === emailKey) ? 'email' : 'phone'} already exists: ${duplicates[0]?.name}; send force: true to create anyway`,
        { duplicates },
      );
    }
    const created = await this.models.Customer.create({
      kind: body.kind,
      name: body.name,
      nameKeys: nameKeys(body.name),
      ...(body.email ? { email: body.email, emailKey } : {}),
      phones,
      contacts,
      phoneKeys,
      labels: [...new Set(body.labels)],
      ...(ownerId ? { ownerId: new Types.ObjectId(ownerId) } : {}),
      country,
      timeZone: body.timeZone ?? COUNTRY_ZONES[country] ?? 'UTC',
      creditTerms: {
        limit: 0,
        paymentTermsDays: 14,
        currency: COUNTRY_CURRENCY[country] ?? 'EUR',
        ...body.creditTerms,
      },
      flags: { doNotCall: false, smsConsent: true, doNotSms: false, ...body.flags },
    });
    return { customer: toSummary(created), duplicates };
  }

  async update(
    id: string,
    input: unknown,
    viewer: Viewer,
  ): Promise<{ customer: CustomerSummary; changed: string[]; duplicates: CustomerSummary[] }> {
    const body = parseOrThrow(customerPatchSchema, input, 'customer change');
    const existing = await this.get(id, viewer);
    const ability = await this.abilityFor(viewer);
    authorize(ability, 'update', subjects.customer(existing));
    if (body.ownerId) authorize(ability, 'assign', subjects.customer(existing), 'only supervisors reassign customers');
    const country = body.country ?? existing.country;
    const set: Record<string, unknown> = {};
    if (body.kind) set.kind = body.kind;
    if (body.name) Object.assign(set, { name: body.name, nameKeys: nameKeys(body.name) });
    if (body.email) Object.assign(set, { email: body.email, emailKey: body.email.toLowerCase() });
    const phones = body.phones ? this.normalizePhones(body.phones, country) : existing.phones;
    const contacts = body.contacts
      ? body.contacts.map((c) => ({ ...c, phones: this.normalizePhones(c.phones, country) }))
      : existing.contacts;
    if (body.phones) set.phones = phones;
    if (body.contacts) set.contacts = contacts;
    if (body.phones || body.contacts)
      set.phoneKeys = [...new Set([...phones, ...contacts.flatMap((c) => c.phones)].map((p) => p.e164))];
    if (body.labels) set.labels = [...new Set(body.labels)];
    if (body.ownerId) set.ownerId = new Types.ObjectId(body.ownerId);
    if (body.country) set.country = body.country;
    if (body.timeZone) set.timeZone = body.timeZone;
    if (body.creditTerms) for (const [k, v] of Object.entries(body.creditTerms)) set[`creditTerms.${k}`] = v;
    if (body.flags) for (const [k, v] of Object.entries(body.flags)) set[`flags.${k}`] = v;
    const duplicates = await this.duplicates(
      (set.phoneKeys as string[] | undefined) ?? [],
      body.email?.toLowerCase(),
      existing._id,
    );
    const updated = await this.models.Customer.findByIdAndUpdate(
      existing._id,
      { $set: set },
      { returnDocument: 'after', runValidators: true },
    ).lean();
    if (!updated) throw notFound('customer');
    return { customer: toSummary(updated), changed: Object.keys(body), duplicates };
  }
}
