import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

export type { CountryCode };

export interface NormalizedPhone {
  /** As the person wrote or the provider sent it. */
  raw: string;
  /** E.164, e.g. +48601234567. */
  e164: string;
  /** ISO country the number belongs to, if known. */
  country?: CountryCode;
}

/**
 * Normalizes a phone number in any written form ("0048 601-234-567", "601 234 567",
 * "+48601234567", "tel:+48…", "sip:+48…@host") to E.164. National forms use `defaultCountry`.
 * Returns null when it is not a possible phone number.
 */
export function normalizePhone(raw: string, defaultCountry: CountryCode): NormalizedPhone | null {
  const trimmed = raw.trim();
  if (!trimmed) return null;
  let candidate = trimmed.replace(/^(tel:|sip:|sips:)/i, '').replace(/@.*$/, '');
  // International prefix written as 00 (most of Europe).
  if (/^\s*00/.test(candidate)) candidate = `+${candidate.replace(/^\s*00/, '')}`;
  const parsed = parsePhoneNumberFromString(candidate, defaultCountry);
  if (!parsed || !parsed.isPossible()) return null;
  return { raw: trimmed, e164: parsed.number, ...(parsed.country ? { country: parsed.country } : {}) };
}

/** The same number written as people write it nationally, e.g. "601 234 567". */
export function formatNational(e164: string): string {
  const parsed = parsePhoneNumberFromString(e164);
  return parsed ? parsed.formatNational() : e164;
}
