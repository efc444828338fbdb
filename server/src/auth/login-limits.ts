// How many failed sign-ins are allowed, counted where every process sees them: in Redis when
// REDIS_URL is set, in the database otherwise. Two counts, both must be under their limit: per
// account from any address (one account guessed from many places) and per address over every
// account (many accounts tried from one place; a larger limit, since an office shares one address).
import type { Store, IncrementResponse } from 'express-rate-limit';
import { createClient, type RedisClientType } from 'redis';
import type { Models } from '../db/models';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import { isDuplicateKey } from '../errors';

/** The window failed sign-ins are counted in. */
export const LOGIN_WINDOW_MS = 15 * 60 * 1000;

/** The count of one key in the database: `login_attempts`, one document per key and window. */
export class DatabaseLoginStore implements Store {
  readonly localKeys = false;

  constructor(
    private readonly models: Models,
    private readonly clock: Clock,
    readonly prefix: string,
    private readonly windowMs = LOGIN_WINDOW_MS,
  ) {}

  async increment(name: string): Promise<IncrementResponse> {
    const key = this.prefix + name;
    const M = this.models.LoginAttempts;
    for (let attempt = 0; attempt < 5; attempt++) {
      const now = this.clock.now();
      const live = await M.findOneAndUpdate(
        { _id: key, resetAt: { $gt: now } },
        { $inc: { hits: 1 } },
        { returnDocument: 'after' },
      ).lean();
      if (live) return { totalHits: live.hits, resetTime: live.resetAt };
      // No window running: restart an old one, or start the first (one writer wins; the others count on it).
      const resetAt = new Date(now.getTime() + this.windowMs);
      const restarted = await M.updateOne({ _id: key, resetAt: { $lte: now } }, { $set: { hits: 1, resetAt } });
      if (restarted.modifiedCount === 1) return { totalHits: 1, resetTime: resetAt };
      try {
        await M.create({ _id: key, hits: 1, resetAt });
        return { totalHits: 1, resetTime: resetAt };
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    }
    throw new Error(`login attempts for ${key} could not be counted`);
  }

  async decrement(name: string): Promise<void> {
    await this.models.LoginAttempts.updateOne({ _id: this.prefix + name, hits: { $gt: 0 } }, { $inc: { hits: -1 } });
  }

  async resetKey(name: string): Promise<void> {
    await this.models.LoginAttempts.deleteOne({ _id: this.prefix + name });
  }
}

/** One Redis connection for the sign-in counts, opened at first use. */
class RedisConnection {
  private readonly client: RedisClientType;
  private connecting: Promise<unknown> | undefined;

  constructor(url: string, logger: Logger) {
    this.client = createClient({ url });
    this.client.on('error', (err: unknown) => logger.error({ err }, 'Redis connection error (sign-in limits)'));
  }

  async ready(): Promise<RedisClientType> {
    this.connecting ??= this.client.connect();
    await this.connecting;
    return this.client;
  }

  async close(): Promise<void> {
    if (this.connecting) await this.client.quit().catch(() => undefined);
  }
}

/** The count of one key in Redis: a counter that expires with its window. */
export class RedisLoginStore implements Store {
  readonly localKeys = false;

  constructor(
    private readonly redis: RedisConnection,
    readonly prefix: string,
    private readonly windowMs = LOGIN_WINDOW_MS,
  ) {}

  async increment(key: string): Promise<IncrementResponse> {
    const k = this.prefix + key;
    const client = await this.redis.ready();
    const [, hits, ttl] = (await client
      .multi()
      .set(k, '0', { condition: 'NX', expiration: { type: 'PX', value: this.windowMs } })
      .incr(k)
      .pTTL(k)
      .exec()) as unknown as [unknown, number, number];
    return { totalHits: Number(hits), resetTime: new Date(Date.now() + Math.max(0, Number(ttl))) };
  }

  async decrement(key: string): Promise<void> {
    await (await this.redis.ready()).decr(this.prefix + key);
  }

  async resetKey(key: string): Promise<void> {
    await (await this.redis.ready()).del(this.prefix + key);
  }
}

export interface LoginLimits {
  /** Counts per account, from any address. */
  perAccount: Store;
  /** Counts per address, over every account. */
  perAddress: Store;
  close(): Promise<void>;
}

/** The two counts, in Redis when `redisUrl` is given, in the database otherwise. */
export function loginLimits(deps: {
  models: Models;
  clock: Clock;
  logger: Logger;
  redisUrl: string | undefined;
}): LoginLimits {
  if (deps.redisUrl) {
    const redis = new RedisConnection(deps.redisUrl, deps.logger);
    return {
      perAccount: new RedisLoginStore(redis, 'ringside:login:account:'),
      perAddress: new RedisLoginStore(redis, 'ringside:login:address:'),
      close: () => redis.close(),
    };
  }
  return {
    perAccount: new DatabaseLoginStore(deps.models, deps.clock, 'account:'),
    perAddress: new DatabaseLoginStore(deps.models, deps.clock, 'address:'),
    close: async () => undefined,
  };
}
