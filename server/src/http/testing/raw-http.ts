// HTTP requests as a test wants to send them, not as fetch allows: any request target (absolute
// form, bad percent-encoding), any Content-Encoding, bodies as bytes. Answers status and body.
import { Agent, request, type IncomingHttpHeaders } from 'node:http';

export interface RawRequest {
  method: string;
  /** The request target exactly as sent: `/api/x?y`, `http://host/path`, `/a/%ZZ`. */
  target: string;
  headers?: Record<string, string | string[]>;
  body?: Buffer | string;
  /** Send the body chunked (no Content-Length). */
  chunked?: boolean;
  /** On a connection of its own rather than a kept-alive one. */
  fresh?: boolean;
}

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 8 });

/** Sends `req` to `baseUrl` (`http://127.0.0.1:port`); rejects only when no answer came. */
export function rawRequest(baseUrl: string, req: RawRequest, timeoutMs = 10_000): Promise<RawAnswer> {
  const url = new URL(baseUrl);
  const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
  return new Promise((resolve, reject) => {
    const r = request(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.target,
        agent: req.fresh ? false : keepAlive,
        headers: { ...(body && !req.chunked ? { 'content-length': String(body.length) } : {}), ...req.headers },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer to ${req.method} ${req.target} within ${timeoutMs} ms`)));
    r.on('error', reject);
    r.end(body);
  });
}

/** The JSON error body of an answer, if it has one. */
export function errorOf(answer: RawAnswer): { code?: string; message?: string } | undefined {
  try {
    return (JSON.parse(answer.body) as { error?: { code?: string; message?: string } }).error;
  } catch {
    return undefined;
  }
}
