import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import type { Logger } from '../logger';
import type { RingsideServer } from './gateway';

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
  io.adapter(createAdapter(pub, sub));
  logger.info('Socket.IO fans out through Redis');
  return async () => {
    await Promise.allSettled([pub.quit(), sub.quit()]);
  };
}
