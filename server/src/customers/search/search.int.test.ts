// Name-prefix and label pages on a real database: every matching customer exactly once across
// the pages, in the pages' order, whether a key is read as a range or in createdAt windows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Types } from 'mongoose';
import { nameKeys, type CustomerSearchAnswer } from '@ringside/shared';
import { freshDatabase } from '../../testing/harness';
import type { Database } from '../../db/connection';
import { CustomerService } from '../customers.service';
import type { Viewer } from '../../auth/viewer';
import { comparePositions, positionKey, prefixRanges } from './keys';

const GIVEN = ['Jan', 'Anna', 'Ζωή', 'Ivan', 'Éva'];
const FAMILY = [
  'Kowalski',
  'Kowalska',
  'Kováč',
  'Kovács',
  'Kővári',
  'Kowalczyk',
  'Kołodziej',
  'Kožul',
  'Κωνσταντίνου',
  'Κώστας',
  'Nowak',
  'Łódź Sp',
  'Lőrinc',
  'Đurić',
  'Ђорђе',
];
const supervisor: Viewer = { userId: '000000000000000000000001', roles: ['supervisor'], name: 'test' };

let db: Database & { drop(): Promise<void> };
/** What every customer was written as, by _id. */
const people: Array<{ _id: Types.ObjectId; name: string; nameKeys: string[]; labels: string[]; createdAt?: Date }> = [];

beforeAll(async () => {
  db = await freshDatabase();
  // A few hundred names of several scripts and diacritics; many share a createdAt (ties) and a
  // few have none (they come last).
  const names = fc.sample(
    fc.tuple(fc.constantFrom(...GIVEN), fc.constantFrom(...FAMILY), fc.integer({ min: 0, max: 60 })),
    { numRuns: 400, seed: 42 },
  );
  const base = Date.UTC(2024, 0, 1);
  names.forEach(([given, family, day], i) => {
    const name = i % 3 === 0 ? `${family} ${given}` : `${given} ${family}`;
    people.push({
      _id: new Types.ObjectId(),
      name,
      nameKeys: nameKeys(name),
      labels: i % 4 === 0 ? ['vip'] : i % 4 === 1 ? ['vip', 'b2b'] : [],
      ...(i % 50 === 7 ? {} : { createdAt: new Date(base + day * 86_400_000) }),
    });
  });
  await db.models.Customer.collection.insertMany(
    people.map((p) => ({
      ...p,
      kind: 'person',
      phones: [],
      contacts: [],
      phoneKeys: [],
      timeZone: 'Europe/Warsaw',
      country: 'PL',
    })),
  );
});

afterAll(async () => {
  await db.drop();
});

/** Every page of a search, following the cursors. */
async function allPages(service: CustomerService, input: Record<string, unknown>, limit: number) {
  const pages: CustomerSearchAnswer[] = [];
  let after: string | undefined;
  for (let page = 1; page < 500; page++) {
    const answer = await service.search({ ...input, limit, page, ...(after ? { after } : {}) }, supervisor);
    pages.push(answer);
    expect(answer.customers.length).toBeLessThanOrEqual(limit);
    if (!answer.hasMore) {
      expect(answer.cursor).toBeUndefined();
      break;
    }
    expect(answer.customers.length).toBe(limit);
    after = answer.cursor;
  }
  return pages;
}

// Small thresholds, so that frequent keys and windows are exercised on a small database too; the
// sample is re-read by every search.
const tunings = {
  default: undefined,
  windows: { sampleSize: 50, frequentInSample: 2, frequentInRange: 3, sampleTtlMs: 0 },
};

describe.each(Object.entries(tunings))('name prefix pages (%s)', (_, tuning) => {
  it('list every customer with a key of the prefix once, in order, with no gaps', async () => {
    const service = new CustomerService(db.models, 'PL', tuning);
    const prefixes = ['kow', 'Kov', 'kova', 'KOŁ', 'lod', 'Łód', 'κων', 'kon', 'đur', 'dur', 'lor', 'eva'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...prefixes), fc.integer({ min: 1, max: 17 }), async (q, limit) => {
        const ranges = prefixRanges(q);
        const expected = people
          .filter((p) => positionKey(p.nameKeys, ranges) !== undefined)
          .map((p) => ({
            id: p._id.toHexString(),
            at: {
              key: positionKey(p.nameKeys, ranges) ?? '',
              at: p.createdAt?.getTime() ?? -8.64e15,
              id: p._id.toHexString(),
            },
          }))
          .sort((a, b) => comparePositions(a.at, b.at))
          .map((e) => e.id);
        const got = (await allPages(service, { q }, limit)).flatMap((p) => p.customers.map((c) => c.id));
        expect(got).toEqual(expected);
      }),
      { numRuns: 25, seed: 7 },
    );
  });

  it('list a label newest first across pages, each customer once', async () => {
    const service = new CustomerService(db.models, 'PL', tuning);
    for (const limit of [1, 7, 50]) {
      const got = (await allPages(service, { label: 'b2b' }, limit)).flatMap((p) => p.customers.map((c) => c.id));
      const expected = people
        .filter((p) => p.labels.includes('b2b'))
        .map((p) => ({ at: p.createdAt?.getTime() ?? -8.64e15, id: p._id.toHexString() }))
        .sort(comparePositions)
        .map((p) => p.id);
      expect(got).toEqual(expected);
    }
  });
});

describe('refusals', () => {
  const service = () => new CustomerService(db.models, 'PL');

  it('refuses a prefix of fewer than 3 letters, with the field and the minimum', async () => {
    for (const q of ['ko', 'Ł', 'k.o']) {
      await expect(service().search({ q }, supervisor)).rejects.toMatchObject({
        code: 'bad_request',
        message: expect.stringMatching(/at least 3 letters/),
        details: [{ path: 'q', minimum: 3 }],
      });
    }
  });

  it('refuses a garbage, tampered or foreign cursor, with the reason', async () => {
    const first = await service().search({ q: 'kow', limit: 2 }, supervisor);
    expect(first.cursor).toEqual(expect.any(String));
    const tampered = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(first.cursor ?? '', 'base64url').toString()), i: 'nope' }),
    ).toString('base64url');
    for (const [after, reason] of [
      ['garbage!', /not a cursor/],
      [tampered, /not a cursor/],
      [first.cursor, /another search/],
    ] as const) {
      await expect(service().search({ q: 'nowak', after }, supervisor)).rejects.toMatchObject({
        code: 'bad_request',
        message: expect.stringMatching(reason),
        details: [{ path: 'after' }],
      });
    }
    await expect(service().search({ label: 'vip', after: first.cursor }, supervisor)).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/another kind of search/),
    });
    await expect(service().search({ label: 'vip', page: 2 }, supervisor)).rejects.toMatchObject({
      code: 'bad_request',
      details: [{ path: 'after' }],
    });
  });
});
