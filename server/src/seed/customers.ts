// One customer (person or company) from its index alone: identity, phones, address, terms.
// Shared numbers come from linked pairs: customers 2k and 2k+1 may be a household sharing a
// landline or a company and an employee who gives the company switchboard as work number.
import type { Types } from 'mongoose';
import { nameKeys } from '@ringside/shared';
import type { Contact, Customer, Phone } from '../db/schemas/customer.model';
import { DAY_MS, type SeedContext } from './context';
import { seededObjectId } from './ids';
import {
  PROFILES,
  companyDomain,
  companyEmail,
  companyName,
  fullName,
  personalEmail,
  pickGivenName,
  pickSurname,
  randomAddress,
  type Address,
  type CountryProfile,
  type Gender,
  type Surname,
} from './names';
import {
  randomLandline,
  randomMobile,
  randomStyle,
  writeAndNormalize,
  type PhoneNumber,
  type SeedCountry,
} from './phones';
import { Rng, Stream, hashKey } from './random';

const COUNTRY_WEIGHTS: ReadonlyArray<readonly [SeedCountry, number]> = [
  ['PL', 40],
  ['GR', 22],
  ['HU', 20],
  ['HR', 18],
];

/** One linked pair in every block of this many pairs: 2 of 80 customers (2.5 %) share a number. */
const PAIRS_PER_STRATUM = 40;

export type PaymentBehaviour = 'prompt' | 'slow' | 'bad';

interface LinkedPair {
  kind: 'household' | 'workplace';
  country: SeedCountry;
  address: Address;
  /** The household's landline or the company's switchboard. */
  shared: PhoneNumber;
  surname: Surname;
}

/** The pair customer `index` belongs to, if it is linked; the same answer for both members. */
function linkedPair(seed: number, pairIndex: number): LinkedPair | undefined {
  const stratum = Math.floor(pairIndex / PAIRS_PER_STRATUM);
  if (hashKey(seed, Stream.stratum, stratum) % PAIRS_PER_STRATUM !== pairIndex % PAIRS_PER_STRATUM) return undefined;
  const rng = new Rng(seed, Stream.pair, pairIndex);
  const country = rng.weighted(COUNTRY_WEIGHTS);
  const kind = rng.chance(0.65) ? 'household' : 'workplace';
  const address = randomAddress(rng, country);
  return {
    kind,
    country,
    address,
    shared: randomLandline(rng, country, address.areaCode, { switchboard: kind === 'workplace' }),
    surname: pickSurname(rng, country),
  };
}

/** A customer before its history is known (labels and dates are settled afterwards). */
export interface CustomerDraft {
  index: number;
  _id: Types.ObjectId;
  kind: 'person' | 'company';
  profile: CountryProfile;
  name: string;
  gender?: Gender;
  email?: string;
  phones: Phone[];
  contacts: Contact[];
  address: Address;
  ownerId?: Types.ObjectId;
  /** When the customer came to us; the history starts here. */
  since: number;
  paymentTermsDays: number;
  creditLimit: number;
  behaviour: PaymentBehaviour;
  wholesale: boolean;
  newsletter: boolean;
  flags: Customer['flags'];
}

function phone(rng: Rng, number: PhoneNumber, type: Phone['type'], country: SeedCountry): Phone {
  const written = writeAndNormalize(number, randomStyle(rng), country);
  return { raw: written.raw, e164: written.e164, type };
}

/** Round to a "nice" credit limit in the local currency. */
function localLimit(eur: number, profile: CountryProfile): number {
  switch (profile.currency) {
    case 'EUR':
      return eur;
    case 'PLN':
      return Math.round((eur * 4.3) / 500) * 500;
    case 'HUF':
      return Math.round((eur * 395) / 100_000) * 100_000;
  }
}

const CONTACT_ROLES = ['Owner', 'Purchasing', 'Accounts payable', 'Office manager', 'Operations', 'Facility manager'];

function companyContacts(rng: Rng, country: SeedCountry, address: Address, domain: string): Contact[] {
  const count = rng.weighted([
    [1, 50],
    [2, 35],
    [3, 15],
  ] as const);
  const roles = [...CONTACT_ROLES];
  const contacts: Contact[] = [];
  for (let c = 0; c < count; c++) {
    const gender: Gender = rng.chance(0.5) ? 'female' : 'male';
    const given = pickGivenName(rng, country, gender);
    const surname = pickSurname(rng, country);
    const role = roles.splice(rng.int(0, roles.length - 1), 1)[0] ?? 'Contact';
    const phones: Phone[] = [];
    if (rng.chance(0.9)) phones.push(phone(rng, randomMobile(rng, country), 'mobile', country));
    if (phones.length === 0 || rng.chance(0.3))
      phones.push(phone(rng, randomLandline(rng, country, address.areaCode), 'work', country));
    const contact: Contact = { name: fullName(country, given, surname, gender), role, phones };
    if (rng.chance(0.75)) contact.email = personalEmail(rng, country, given, surname[gender], domain);
    contacts.push(contact);
  }
  return contacts;
}

export function draftCustomer(ctx: SeedContext, index: number): CustomerDraft {
  const rng = new Rng(ctx.seed, Stream.customer, index);
  const pairIndex = Math.floor(index / 2);
  const firstOfPair = index % 2 === 0;
  const pair = linkedPair(ctx.seed, pairIndex);
  const country = pair?.country ?? rng.weighted(COUNTRY_WEIGHTS);
  const profile = PROFILES[country];
  const kind: CustomerDraft['kind'] =
    pair?.kind === 'household'
      ? 'person'
      : pair?.kind === 'workplace'
        ? firstOfPair
          ? 'company'
          : 'person'
        : rng.chance(0.15)
          ? 'company'
          : 'person';

  // Customers arrived over the last three years, evenly.
  const since = ctx.now - Math.floor(rng.real(1, 3 * 365) * DAY_MS);
  const phones: Phone[] = [];
  let contacts: Contact[] = [];
  let name: string;
  let email: string | undefined;
  let gender: Gender | undefined;
  let address: Address;

  if (kind === 'company') {
    const surname = pair?.surname ?? pickSurname(rng, country);
    address = pair?.address ?? randomAddress(rng, country);
    name = companyName(rng, country, surname);
    const domain = companyDomain(rng, country, surname);
    email = rng.chance(0.95) ? companyEmail(country, domain) : undefined;
    phones.push(
      phone(
        rng,
        pair?.shared ?? randomLandline(rng, country, address.areaCode, { switchboard: true }),
        'switchboard',
        country,
      ),
    );
    if (rng.chance(0.25)) phones.push(phone(rng, randomMobile(rng, country), 'mobile', country));
    contacts = companyContacts(rng, country, address, domain);
  } else {
    gender = rng.chance(0.5) ? 'female' : 'male';
    const given = pickGivenName(rng, country, gender);
    const household = pair?.kind === 'household';
    const surname = household && pair ? pair.surname : pickSurname(rng, country);
    address = household && pair ? pair.address : randomAddress(rng, country);
    name = fullName(country, given, surname, gender);
    if (rng.chance(0.82)) email = personalEmail(rng, country, given, surname[gender]);
    if (rng.chance(0.93)) phones.push(phone(rng, randomMobile(rng, country), 'mobile', country));
    if (household && pair) phones.push(phone(rng, pair.shared, 'landline', country));
    else if (rng.chance(0.15))
      phones.push(phone(rng, randomLandline(rng, country, address.areaCode), 'landline', country));
    if (pair?.kind === 'workplace') phones.push(phone(rng, pair.shared, 'work', country));
    if (phones.length === 0) phones.push(phone(rng, randomMobile(rng, country), 'mobile', country));
    if (rng.chance(0.04)) phones.push(phone(rng, randomMobile(rng, country), 'other', country));
  }

  const company = kind === 'company';
  const owned = company || rng.chance(0.4);
  const agent = owned && ctx.agents.length > 0 ? ctx.agents[index % ctx.agents.length] : undefined;
  const paymentTermsDays = company
    ? rng.weighted([
        [14, 30],
        [30, 50],
        [60, 20],
      ] as const)
    : rng.weighted([
        [7, 30],
        [14, 60],
        [30, 10],
      ] as const);
  const limitEur = company
    ? rng.pick([5_000, 10_000, 20_000, 50_000, 100_000])
    : rng.pick([0, 500, 1_000, 2_000, 5_000]);
  const behaviour: PaymentBehaviour = rng.weighted(
    company
      ? ([
          ['prompt', 60],
          ['slow', 26],
          ['bad', 14],
        ] as const)
      : ([
          ['prompt', 65],
          ['slow', 20],
          ['bad', 15],
        ] as const),
  );
  const doNotSms = rng.chance(0.03);
  return {
    index,
    _id: seededObjectId(ctx.seed, 'customers', index),
    kind,
    profile,
    name,
    ...(gender ? { gender } : {}),
    ...(email ? { email } : {}),
    phones,
    contacts,
    address,
    ...(agent ? { ownerId: agent._id } : {}),
    since,
    paymentTermsDays,
    creditLimit: localLimit(limitEur, profile),
    behaviour,
    wholesale: company && rng.chance(0.3),
    newsletter: rng.chance(0.25),
    flags: { doNotCall: rng.chance(0.025), smsConsent: !doNotSms && rng.chance(0.9), doNotSms },
  };
}

/** Every E.164 of the customer and its contacts, once each: the phone index. */
export function phoneKeysOf(phones: readonly Phone[], contacts: readonly Contact[]): string[] {
  const keys = new Set<string>();
  for (const p of phones) keys.add(p.e164);
  for (const c of contacts) for (const p of c.phones) keys.add(p.e164);
  return [...keys];
}

export interface CustomerOutcome {
  labels: string[];
  updatedAt: Date;
}

export function customerDocument(draft: CustomerDraft, outcome: CustomerOutcome): Customer {
  const { profile, address } = draft;
  return {
    _id: draft._id,
    kind: draft.kind,
    name: draft.name,
    nameKeys: nameKeys(draft.name),
    ...(draft.email ? { email: draft.email, emailKey: draft.email.toLowerCase() } : {}),
    phones: draft.phones,
    contacts: draft.contacts,
    phoneKeys: phoneKeysOf(draft.phones, draft.contacts),
    labels: outcome.labels,
    ...(draft.ownerId ? { ownerId: draft.ownerId } : {}),
    timeZone: profile.timeZone,
    country: profile.country,
    language: profile.language,
    address: { street: address.street, city: address.city, postalCode: address.postalCode, country: address.country },
    creditTerms: { limit: draft.creditLimit, paymentTermsDays: draft.paymentTermsDays, currency: profile.currency },
    flags: draft.flags,
    createdAt: new Date(draft.since),
    updatedAt: outcome.updatedAt,
  };
}
