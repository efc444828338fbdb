import { Types, type QueryFilter } from 'mongoose';
import { z } from 'zod';
import {
  foldLatin,
  foldText,
  nameKeys,
  normalizePhone,
  prefixRange,
  type CountryCode,
  objectIdOf,
} from '@ringside/shared';
import type { Models } from '../db/models';
import type { Viewer } from '../auth/viewer';
import { toObjectId } from '../db/ids';
import type { Customer, Phone } from '../db/schemas/customer.model';
import { badRequest, conflict, notFound, parseOrThrow } from '../errors';
import { authorize, defineAbilityFor, scopeOf, subjects, type AppAbility } from '../auth/policy';

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
  page: z.coerce.number().int().min(1).max(1000).default(1),
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
  constructor(
    private readonly models: Models,
    private readonly defaultCountry: string,
  ) {}

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
   * One query on one index: a phone (any written form) on `phoneKeys`, an email on `emailKey`,
   * a name prefix as a range on `nameKeys` (folded: "lodz" finds "Łódź"), a label on `labels`.
   * Pages with `limit + 1`: no exact totals on a hot path.
   */
  async search(
    input: unknown,
    viewer: Viewer,
  ): Promise<{ customers: CustomerSummary[]; page: number; hasMore: boolean }> {
    const p = parseOrThrow(customerSearchSchema, input, 'search');
    // One filter at most (policy.test.ts): a second would need a second query per search.
    const [scope, ...more] = scopeOf(await this.abilityFor(viewer), 'read', 'Customer');
    if (!scope) return { customers: [], page: p.page, hasMore: false };
    if (more.length) throw new Error('customer search: the policy gave more than one scope');
    const filter: QueryFilter<Customer> = { ...scope };
    const phone = p.phone ?? (p.q && /^[+(]?[\d\s().-]{6,}$/.test(p.q) ? p.q : undefined);
    if (phone) {
      const n = normalizePhone(phone, this.defaultCountry as CountryCode);
      if (!n) throw badRequest(`"${phone}" is not a phone number`);
      filter.phoneKeys = n.e164;
    } else if (p.q && p.q.includes('@')) {
      filter.emailKey = p.q.toLowerCase();
    } else if (p.q) {
      const latin = foldLatin(p.q);
      const written = foldText(p.q);
      if (!latin) throw badRequest('q must contain letters or digits');
      // $elemMatch: on an array both bounds must hold for the same key, not for any two keys.
      const ranges = [...new Set([latin, written])].filter(Boolean).map((k) => ({ $elemMatch: prefixRange(k) }));
      if (ranges.length > 1) {
        // Written in two scripts: one indexed range each, merged here. An `$or` would make the
        // database read every customer.
        if (p.label) filter.labels = p.label;
        const want = p.page * p.limit + 1;
        const found = await Promise.all(
          ranges.map((r) =>
            this.models.Customer.find({ ...filter, nameKeys: r }, SUMMARY)
              .limit(want)
              .lean(),
          ),
        );
        const merged = [...new Map(found.flat().map((d) => [d._id.toString(), d])).values()].sort(
          (x, y) => x.name.localeCompare(y.name) || x._id.toString().localeCompare(y._id.toString()),
        );
        const pageDocs = merged.slice((p.page - 1) * p.limit, p.page * p.limit + 1);
        return {
          customers: pageDocs.slice(0, p.limit).map(toSummary),
          page: p.page,
          hasMore: pageDocs.length > p.limit,
        };
      }
      filter.nameKeys = ranges[0];
    }
    if (p.label) {
      filter.labels = p.label;
    }
    if (!phone && !p.q && !p.label) throw badRequest('give q (name, email or phone), phone or label');
    // No hint: the embedded database reads the whole collection when given one.
    const docs = await this.models.Customer.find(filter, SUMMARY)
      .skip((p.page - 1) * p.limit)
      .limit(p.limit + 1)
      .lean();
    return { customers: docs.slice(0, p.limit).map(toSummary), page: p.page, hasMore: docs.length > p.limit };
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
