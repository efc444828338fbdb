import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type AppDeps } from './app';
import { createGateway, Realtime, type RingsideServer } from './realtime/gateway';

export interface RunningServer {
  http: HttpServer;
  io: RingsideServer;
  realtime: Realtime;
  port: number;
  url: string;
  /** Stop accepting, let requests in flight finish, close sockets. The database is the caller's. */
  close(): Promise<void>;
}

/** HTTP + Socket.IO on one port (0 = any free port). */
export async function startServer(deps: AppDeps, listen: { port: number; host?: string }): Promise<RunningServer> {
  const app = createApp(deps);
  const http = createServer(app.express);
  const io = createGateway(http, { auth: app.auth, logger: deps.logger });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(listen.port, listen.host ?? '0.0.0.0', () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    http,
    io,
    realtime: new Realtime(io),
    port,
    url: `http://127.0.0.1:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        // io.close() also closes the HTTP server; keep-alive connections idle out.
        void io.close(() => resolve());
        http.closeIdleConnections();
      });
      return closing;
    },
  };
}
