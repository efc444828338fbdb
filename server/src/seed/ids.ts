import { Types } from 'mongoose';
import { mix32 } from './random';

/** One byte per collection inside seeded ObjectIds. */
export const Collection = {
  customers: 1,
  orders: 2,
  invoices: 3,
  payments: 4,
  interactions: 5,
  cases: 6,
  products: 7,
} as const;
export type CollectionName = keyof typeof Collection;

/** The catalogue is the same for every seed, so its ids do not depend on one. */
const CATALOGUE_SEED = 0x5eed;

/**
 * A deterministic ObjectId: 4 bytes mix32(seed) (a bijection, so two seeds never share ids),
 * 1 byte collection, 7 bytes index. Never `new ObjectId()`: seeding twice must produce the same
 * _ids so that the second run's inserts are recognised as duplicates. Within a collection the
 * ids grow with the index, so bulk loads append at the right edge of the _id index. The first
 * four bytes are not a creation time; documents carry their own dates.
 */
export function seededObjectId(seed: number, collection: CollectionName, index: number): Types.ObjectId {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`bad seeded index ${index}`);
  const bytes = new Uint8Array(12);
  const s = mix32(seed);
  bytes[0] = s >>> 24;
  bytes[1] = (s >>> 16) & 0xff;
  bytes[2] = (s >>> 8) & 0xff;
  bytes[3] = s & 0xff;
  bytes[4] = Collection[collection];
  let rest = index;
  for (let i = 11; i >= 5; i--) {
    bytes[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return new Types.ObjectId(bytes);
}

export function productObjectId(index: number): Types.ObjectId {
  return seededObjectId(CATALOGUE_SEED, 'products', index);
}

/**
 * Document numbers (orders, invoices, cases) carry the seed so that two seeds loaded into one
 * database do not collide, and stay apart from numbers the running system assigns.
 */
export function documentNumber(prefix: 'SO' | 'INV' | 'CS', seed: number, index: number): string {
  return `${prefix}-${seed}-${String(index + 1).padStart(8, '0')}`;
}

/** Letters to numbers for the ISO 7064 mod 97-10 check (A=10 … Z=35). */
function mod97(text: string): number {
  let remainder = 0;
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? String(code - 55) : ch;
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder;
}

/**
 * An ISO 11649 structured creditor reference ("RF" + 2 check digits + up to 21 characters),
 * the transfer title customers quote when they pay an invoice.
 */
export function creditorReference(body: string): string {
  const clean = body.toUpperCase().replace(/[^0-9A-Z]/g, '');
  if (clean.length === 0 || clean.length > 21) throw new RangeError(`bad creditor reference body "${body}"`);
  const check = 98 - mod97(`${clean}RF00`);
  return `RF${String(check).padStart(2, '0')}${clean}`;
}

/** True when an ISO 11649 reference's check digits are right. */
export function isValidCreditorReference(reference: string): boolean {
  if (!/^RF\d{2}[0-9A-Z]{1,21}$/.test(reference)) return false;
  return mod97(`${reference.slice(4)}${reference.slice(0, 4)}`) === 1;
}
