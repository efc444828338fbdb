// Phone numbers as the four markets write them. A number is kept as its natural digit groups
// (area code or mobile prefix first); `writePhone` renders one of the ways people actually type
// it, and the E.164 form always comes from shared's normalizePhone, never from here.
import { normalizePhone, type CountryCode } from '@ringside/shared';
import type { Rng } from './random';

export type SeedCountry = 'PL' | 'HR' | 'HU' | 'GR';

export interface PhoneNumber {
  country: SeedCountry;
  kind: 'mobile' | 'landline';
  /** National significant number in its usual grouping, e.g. ["601", "234", "567"], ["22", "123", "45", "67"]. */
  groups: string[];
}

export const WRITTEN_STYLES = [
  'national',
  'nationalDashes',
  'nationalCompact',
  'international',
  'international00',
  'e164',
  'local',
] as const;
export type WrittenStyle = (typeof WRITTEN_STYLES)[number];

interface NumberPlan {
  callingCode: string;
  /** National trunk prefix written before the number at home ("0" in Croatia, "06" in Hungary). */
  trunk: string;
  /** Mobile prefixes that are valid ranges in libphonenumber's metadata. */
  mobilePrefixes: readonly string[];
  /** Mobile grouping, prefix included. */
  mobileGroups: readonly number[];
}

const PLANS: Record<SeedCountry, NumberPlan> = {
  PL: {
    callingCode: '48',
    trunk: '',
    mobilePrefixes: ['50', '51', '53', '57', '60', '66', '69', '72', '73', '78', '79', '88'],
    mobileGroups: [3, 3, 3],
  },
  HR: { callingCode: '385', trunk: '0', mobilePrefixes: ['91', '92', '95', '98', '99'], mobileGroups: [2, 3, 4] },
  HU: { callingCode: '36', trunk: '06', mobilePrefixes: ['20', '30', '31', '50', '70'], mobileGroups: [2, 3, 4] },
  GR: {
    callingCode: '30',
    trunk: '',
    mobilePrefixes: ['690', '691', '693', '694', '695', '697', '698', '699'],
    mobileGroups: [3, 3, 4],
  },
};

/** How a landline's subscriber number is grouped after the area code, by area code length. */
function landlineGroups(country: SeedCountry, areaCode: string): number[] {
  switch (country) {
    case 'PL':
      return [3, 2, 2]; // 22 123 45 67
    case 'HR':
      return areaCode.length === 1 ? [4, 3] : [3, 3]; // 01 2345 678, 021 345 678
    case 'HU':
      return areaCode.length === 1 ? [3, 4] : [3, 3]; // 06 1 234 5678, 06 52 123 456
    case 'GR':
      return areaCode.length === 3 ? [3, 4] : [6]; // 210 123 4567, 2310 123456
  }
}

function splitDigits(digits: string, sizes: readonly number[]): string[] {
  const out: string[] = [];
  let at = 0;
  for (const size of sizes) {
    out.push(digits.slice(at, at + size));
    at += size;
  }
  return out;
}

/** Subscriber digits, not starting with 0 or 1 (reserved or special ranges in these plans). */
function subscriberDigits(rng: Rng, count: number): string {
  return String(rng.int(2, 9)) + rng.digits(count - 1);
}

export function randomMobile(rng: Rng, country: SeedCountry): PhoneNumber {
  const plan = PLANS[country];
  const prefix = rng.pick(plan.mobilePrefixes);
  const total = plan.mobileGroups.reduce((a, b) => a + b, 0);
  const digits = prefix + rng.digits(total - prefix.length);
  return { country, kind: 'mobile', groups: splitDigits(digits, plan.mobileGroups) };
}

/** A landline in `areaCode`; a switchboard ends in 00 or 000, as company numbers like to. */
export function randomLandline(
  rng: Rng,
  country: SeedCountry,
  areaCode: string,
  opts: { switchboard?: boolean } = {},
): PhoneNumber {
  const sizes = landlineGroups(country, areaCode);
  const total = sizes.reduce((a, b) => a + b, 0);
  let digits = subscriberDigits(rng, total);
  if (opts.switchboard) digits = digits.slice(0, total - 2) + (rng.chance(0.5) ? '00' : '10');
  return { country, kind: 'landline', groups: [areaCode, ...splitDigits(digits, sizes)] };
}

export function nationalSignificantNumber(phone: PhoneNumber): string {
  return phone.groups.join('');
}

/** What normalizePhone must produce for this number. */
export function expectedE164(phone: PhoneNumber): string {
  return `+${PLANS[phone.country].callingCode}${nationalSignificantNumber(phone)}`;
}

/** National form with the trunk prefix as people write it: "091" in Croatia, "06 30" in Hungary. */
function nationalGroups(phone: PhoneNumber): string[] {
  const { trunk } = PLANS[phone.country];
  const [first = '', ...rest] = phone.groups;
  if (phone.country === 'HU') return [trunk, first, ...rest];
  return [trunk + first, ...rest];
}

/** The country's own habits beyond spaces and dashes. */
function localForm(phone: PhoneNumber): string {
  const [first = '', ...rest] = phone.groups;
  switch (phone.country) {
    case 'PL':
      // "(22) 123-45-67" for landlines, "601-234-567" for mobiles.
      return phone.kind === 'landline' ? `(${first}) ${rest.join('-')}` : phone.groups.join('-');
    case 'HR':
      return `0${first}/${rest.join('-')}`; // 091/234-5678, 01/2345-678
    case 'HU':
      return `06-${first}/${rest.join('-')}`; // 06-30/123-4567
    case 'GR':
      return `+30 ${nationalSignificantNumber(phone)}`; // +30 6941234567
  }
}

/** The number written in one style, e.g. "0048 601 234 567", "06 30 123 4567", "+385912345678". */
export function writePhone(phone: PhoneNumber, style: WrittenStyle): string {
  const cc = PLANS[phone.country].callingCode;
  switch (style) {
    case 'national':
      return nationalGroups(phone).join(' ');
    case 'nationalDashes':
      return nationalGroups(phone).join('-');
    case 'nationalCompact':
      return nationalGroups(phone).join('');
    case 'international':
      return `+${cc} ${phone.groups.join(' ')}`;
    case 'international00':
      return `00${cc} ${phone.groups.join(' ')}`;
    case 'e164':
      return expectedE164(phone);
    case 'local':
      return localForm(phone);
  }
}

const STYLE_WEIGHTS: ReadonlyArray<readonly [WrittenStyle, number]> = [
  ['national', 36],
  ['nationalDashes', 10],
  ['nationalCompact', 12],
  ['international', 15],
  ['international00', 7],
  ['e164', 8],
  ['local', 12],
];

export function randomStyle(rng: Rng): WrittenStyle {
  return rng.weighted(STYLE_WEIGHTS);
}

export interface WrittenPhone {
  raw: string;
  e164: string;
}

/**
 * Writes the number the way a person would and normalizes it back with the customer's country,
 * as the app does for input. A mismatch would mean a bad number plan here: fail loudly.
 */
export function writeAndNormalize(phone: PhoneNumber, style: WrittenStyle, customerCountry: SeedCountry): WrittenPhone {
  const raw = writePhone(phone, style);
  const normalized = normalizePhone(raw, customerCountry as CountryCode);
  const expected = expectedE164(phone);
  if (!normalized || normalized.e164 !== expected) {
    throw new Error(
      `seed phone "${raw}" (${customerCountry}) normalized to ${normalized?.e164 ?? 'nothing'}, expected ${expected}`,
    );
  }
  return { raw, e164: normalized.e164 };
}
