import { RedisAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import type { Logger } from '../logger';
import type { RingsideServer } from './gateway';

type FetchOptions = Parameters<RedisAdapter['fetchSockets']>[0];

/**
 * Several server processes behind a load balancer: with `REDIS_URL`, Socket.IO's Redis adapter
 * carries every room emit (an agent's pop, supervisors' figures) to the process holding the
 * socket, and acknowledgements back. Returns what closes the two connections.
 */
export async function useRedisAdapter(io: RingsideServer, url: string, logger: Logger): Promise<() => Promise<void>> {
  const pub = createClient({ url });
  const sub = pub.duplicate();
  for (const [name, client] of [
    ['publish', pub],
    ['subscribe', sub],
  ] as const) {
    client.on('error', (err: unknown) => logger.error({ err, connection: name }, 'Redis connection error'));
  }
  await Promise.all([pub.connect(), sub.connect()]);
  const publisher = loggedPublish(pub, logger);
  // What `createAdapter(pub, sub)` makes, with its failures kept in. Socket.IO constructs it per namespace.
  io.adapter(
    class extends ResilientRedisAdapter {
      constructor(nsp: unknown) {
        super(nsp, publisher, sub, () => pub.isReady);
      }
    },
  );
  logger.info('Socket.IO fans out through Redis');
  return async () => {
    await Promise.allSettled([pub.quit(), sub.quit()]);
  };
}

/**
 * The Redis adapter, kept from ending the process or answering wrongly while Redis is away
 * (found by `npm run test:faults`, which restarts Redis under load):
 * - it publishes without awaiting, so a publish that failed (node-redis gives a queued command up
 *   after 5 s) was an unhandled rejection, and Node ended every server process at once: each
 *   publish's failure is now caught and logged (`loggedPublish`);
 * - an acknowledged emit waits for the count of processes (PUBSUB NUMSUB): while Redis is away
 *   only this process can be reached, so the count is 1 and the acknowledgements of this
 *   process's own consoles come back at once instead of after the timeout;
 * - asking every process for its sockets fails while Redis is away, instead of answering with this
 *   process's alone (presence would take the other processes' consoles for gone).
 */
export class ResilientRedisAdapter extends RedisAdapter {
  constructor(
    nsp: unknown,
    pub: object,
    sub: object,
    private readonly redisReady: () => boolean,
  ) {
    super(nsp, pub, sub);
  }

  override async serverCount(): Promise<number> {
    if (!this.redisReady()) return 1;
    try {
      return await super.serverCount();
    } catch {
      return 1;
    }
  }

  override async fetchSockets(opts: FetchOptions): ReturnType<RedisAdapter['fetchSockets']> {
    if (!opts.flags?.local && !this.redisReady())
      throw new Error('Redis is unavailable: the other server processes cannot be asked for their sockets');
    return super.fetchSockets(opts);
  }
}

/** The same client, whose `publish` failures are logged (at most once a second) rather than left unhandled. */
export function loggedPublish<C extends object>(client: C, logger: Logger): C {
  let lastLogged = 0;
  let failed = 0;
  const onFailure = (err: unknown) => {
    failed += 1;
    if (Date.now() - lastLogged < 1000) return;
    lastLogged = Date.now();
    logger.warn({ err, failed }, 'Redis publish failed: other server processes miss these events');
    failed = 0;
  };
  return new Proxy(client, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      // node-redis keeps its state in private fields: every method runs on the client itself.
      const method = (value as (...args: unknown[]) => unknown).bind(target);
      if (prop !== 'publish') return method;
      return (...args: unknown[]) => {
        const published = method(...args) as Promise<unknown>;
        published.catch(onFailure);
        return published;
      };
    },
  });
}
