import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type App, type AppDeps } from './app';
import { useRedisAdapter } from './realtime/redis-adapter';

export interface RunningServer {
  http: HttpServer;
  app: App;
  port: number;
  url: string;
  /** Stop accepting, let requests in flight finish, close sockets. The database is the caller's. */
  close(): Promise<void>;
}

/** HTTP + Socket.IO on one port (0 = any free port). */
export async function startServer(deps: AppDeps, listen: { port: number; host?: string }): Promise<RunningServer> {
  // Socket.IO wraps the request listeners present when it attaches so that its own paths never
  // reach them: the HTTP app's listener must be there first.
  const http = createServer();
  http.on('request', (req, res) => app.express(req, res));
  const app = createApp(deps, http);
  const closeRedis = deps.config.redisUrl
    ? await useRedisAdapter(app.io, deps.config.redisUrl, deps.logger)
    : undefined;
  // With the adapter in place, presence sees every process's consoles: agents without one are
  // marked gone before anything is routed.
  await app.presence.start();
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(listen.port, listen.host ?? '0.0.0.0', () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    http,
    app,
    port,
    url: `http://127.0.0.1:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        app.presence.close();
        app.calls.close();
        app.supervisor.stop();
        app.metrics.health.stop();
        void app.callPath.stop();
        void app.dunning.close();
        void app.loginLimits.close();
        // io.close() also closes the HTTP server; idle keep-alive connections are dropped.
        void app.io.close(() => void (closeRedis?.() ?? Promise.resolve()).then(() => resolve()));
        http.closeIdleConnections();
      });
      return closing;
    },
  };
}
