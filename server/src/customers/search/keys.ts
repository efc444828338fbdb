// Pure parts of customer search: the key ranges a name prefix covers, where a customer stands in
// a page's order, and the opaque cursor that says where the next page starts.
//
// Order of a name search: by the customer's smallest name key inside the searched ranges
// (its "position key"), then newest first (createdAt, then _id, both descending). A label search
// has no key: newest first. Every page is a keyset page: it starts strictly after the cursor.
import { z } from 'zod';
import { foldLatin, foldText, letterCount, MIN_NAME_PREFIX, prefixRange } from '@ringside/shared';

export { letterCount };

/** Letters or digits a name prefix needs after folding: fewer would match too much to be useful. */
export const MIN_PREFIX = MIN_NAME_PREFIX;

/** A half-open key range [gte, lt). */
export interface KeyRange {
  gte: string;
  lt: string;
}

/** Where a customer stands in a page's order. `key` is absent for label searches. */
export interface Position {
  key?: string;
  /** createdAt in ms since the epoch; 0 when the document has none (it sorts last). */
  at: number;
  /** The _id as 24 hex digits. */
  id: string;
}

/**
 * The disjoint, sorted key ranges of a prefix: the Latin transliteration and, when it differs
 * (Greek typed in Greek), the written form too. Overlapping ranges are merged.
 */
export function prefixRanges(q: string): KeyRange[] {
  const prefixes = [...new Set([foldLatin(q), foldText(q)])].filter(Boolean);
  const ranges = prefixes
    .map((p) => {
      const r = prefixRange(p);
      return { gte: r.$gte, lt: r.$lt };
    })
    .sort((a, b) => cmp(a.gte, b.gte));
  const out: KeyRange[] = [];
  for (const r of ranges) {
    const last = out.at(-1);
    if (last && cmp(r.gte, last.lt) <= 0) {
      if (cmp(r.lt, last.lt) > 0) last.lt = r.lt;
    } else out.push({ ...r });
  }
  return out;
}

/** Code-unit order, the order the database compares strings in (no collation). */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export const inRanges = (key: string, ranges: KeyRange[]): boolean =>
  ranges.some((r) => cmp(key, r.gte) >= 0 && cmp(key, r.lt) < 0);

/** A customer's position key: its smallest name key inside the ranges, if any. */
export function positionKey(nameKeys: readonly string[], ranges: KeyRange[]): string | undefined {
  let best: string | undefined;
  for (const k of nameKeys) if (inRanges(k, ranges) && (best === undefined || cmp(k, best) < 0)) best = k;
  return best;
}

/** Page order: key ascending, then newest first, then _id descending. */
export function comparePositions(a: Position, b: Position): number {
  return cmp(a.key ?? '', b.key ?? '') || b.at - a.at || cmp(b.id, a.id);
}

/**
 * One stretch of a name search, in key order: a range read through the `nameKeys` index as a
 * whole (it holds no known frequent key), or one frequent key, read newest first in windows of
 * `createdAt` so that the database never builds more than a page or two of it.
 */
export type Segment = { kind: 'range'; gte: string; gteExclusive: boolean; lt: string } | { kind: 'key'; key: string };

/** The ranges cut at each frequent key inside them: ranges and keys alternate, in key order. */
export function segments(ranges: KeyRange[], frequent: Iterable<string>): Segment[] {
  const hot = [...new Set(frequent)].filter((k) => inRanges(k, ranges)).sort(cmp);
  const out: Segment[] = [];
  for (const r of ranges) {
    let gte = r.gte;
    let exclusive = false;
    for (const k of hot) {
      if (cmp(k, r.gte) < 0 || cmp(k, r.lt) >= 0) continue;
      if (cmp(gte, k) < 0) out.push({ kind: 'range', gte, gteExclusive: exclusive, lt: k });
      out.push({ kind: 'key', key: k });
      gte = k;
      exclusive = true;
    }
    if (cmp(gte, r.lt) < 0) out.push({ kind: 'range', gte, gteExclusive: exclusive, lt: r.lt });
  }
  return out;
}

/** Whether a position key belongs to `segment`. */
export function inSegment(key: string, segment: Segment): boolean {
  if (segment.kind === 'key') return key === segment.key;
  const low = cmp(key, segment.gte);
  return (segment.gteExclusive ? low > 0 : low >= 0) && cmp(key, segment.lt) < 0;
}

/** Whether a segment holds nothing at or after `key` (so a page starting at `key` skips it). */
export function segmentBefore(segment: Segment, key: string): boolean {
  return segment.kind === 'key' ? cmp(segment.key, key) < 0 : cmp(segment.lt, key) <= 0;
}

// ---- cursor ----------------------------------------------------------------------------------

const cursorSchema = z.strictObject({
  v: z.literal(1),
  /** 'n' for a name search, 'l' for a label search. */
  s: z.enum(['n', 'l']),
  k: z.string().max(400).optional(),
  t: z.number().int().min(-8.64e15).max(8.64e15),
  i: z.string().regex(/^[0-9a-f]{24}$/),
});

/** The opaque token of a position: base64url JSON, so that clients never build one. */
export function encodeCursor(search: 'name' | 'label', p: Position): string {
  const body = {
    v: 1,
    s: search === 'name' ? 'n' : 'l',
    ...(p.key !== undefined ? { k: p.key } : {}),
    t: p.at,
    i: p.id,
  };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

export type CursorResult = { ok: true; position: Position } | { ok: false; reason: string };

/**
 * The position a cursor names, or why it cannot be used: it must decode, belong to this kind of
 * search and, for a name search, carry a key inside this search's ranges.
 */
export function decodeCursor(token: string, search: 'name' | 'label', ranges: KeyRange[] = []): CursorResult {
  if (!/^[A-Za-z0-9_-]{1,1200}$/.test(token)) return { ok: false, reason: 'is not a cursor this server gave' };
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'is not a cursor this server gave' };
  }
  const parsed = cursorSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: 'is not a cursor this server gave' };
  const c = parsed.data;
  if ((c.s === 'n') !== (search === 'name')) return { ok: false, reason: 'belongs to another kind of search' };
  if (search === 'name' && (c.k === undefined || !inRanges(c.k, ranges)))
    return { ok: false, reason: 'belongs to another search' };
  if (search === 'label' && c.k !== undefined) return { ok: false, reason: 'belongs to another kind of search' };
  return { ok: true, position: { ...(c.k !== undefined ? { key: c.k } : {}), at: c.t, id: c.i } };
}
