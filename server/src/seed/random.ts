// A small seeded PRNG, hand-written on purpose: the generator needs one independent stream per
// customer (and per customer pair), derived from (seed, stream, index) in a few nanoseconds, so
// that customer i comes out the same whether 300 or 1,000,000 are seeded and in whatever batches.
// Re-seeding faker's Mersenne Twister per customer costs ~25 µs and 2.5 KB of state each time;
// faker is used only for its locale word lists (see names.ts). Nothing here uses Math.random.

/** MurmurHash3's 32-bit finalizer: a bijection on uint32 with good avalanche. */
export function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** One 32-bit key from several non-negative integers (each may exceed 2^32, up to 2^53). */
export function hashKey(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    const lo = part >>> 0;
    const hi = Math.floor(part / 0x1_0000_0000) >>> 0;
    h = mix32(h ^ mix32(lo + 0x7f4a7c15));
    h = mix32(h ^ mix32(hi + 0x165667b1));
  }
  return h;
}

/** Named streams, so that adding a use of randomness in one place does not shift the others. */
export const Stream = {
  customer: 1,
  pair: 2,
  history: 3,
  interactions: 4,
  cases: 5,
  stratum: 6,
} as const;

/** sfc32 (Chris Doty-Humphrey's Small Fast Counting generator), passes PractRand to 2^40+. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(...key: number[]) {
    const k = hashKey(...key);
    this.a = mix32(k ^ 0xa0761d65);
    this.b = mix32(k ^ 0xe7037ed1);
    this.c = mix32(k ^ 0x8ebc6af0);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Uniform real in [min, max). */
  real(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** Picks by weight: `[[value, weight], …]`. */
  weighted<T>(choices: ReadonlyArray<readonly [T, number]>): T {
    let total = 0;
    for (const [, w] of choices) total += w;
    let roll = this.next() * total;
    for (const [value, w] of choices) {
      roll -= w;
      if (roll < 0) return value;
    }
    const last = choices[choices.length - 1];
    if (!last) throw new Error('weighted pick from an empty list');
    return last[0];
  }

  /** Poisson-distributed count (Knuth; fine for the small means used here). */
  poisson(mean: number): number {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** Approximately normal (sum of three uniforms), clamped to mean ± 3 sd. */
  normal(mean: number, sd: number): number {
    const z = (this.next() + this.next() + this.next() - 1.5) * 2;
    return mean + z * sd;
  }

  /** `count` decimal digits as a string. */
  digits(count: number): string {
    let out = '';
    for (let i = 0; i < count; i++) out += String(Math.floor(this.next() * 10));
    return out;
  }

  hex(count: number): string {
    let out = '';
    for (let i = 0; i < count; i++) out += Math.floor(this.next() * 16).toString(16);
    return out;
  }
}
