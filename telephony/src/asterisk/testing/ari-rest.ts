// The local ARI server's REST face: authentication (Basic or `?api_key=`), the API documents it
// serves, and `/ari/...` requests checked against the documents, carried out and recorded.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { matchRoute, servedDocument, type AriDocs } from './ari-docs';
import { validateModel } from './ari-models';
import { operations, type AriResult, type OperationContext } from './ari-operations';
import { AriHttpError, parseArgs } from './ari-request';
import type { AriCommand } from './ari-server-types';

/** The ARI user (ari.conf) that REST calls and the events WebSocket must authenticate as. */
export interface AriCredentials {
  username: string;
  password: string;
}

/** Basic auth or `?api_key=user:pass`, like res_ari.c authenticate_user. */
export function authorized(req: IncomingMessage, query: URLSearchParams, credentials: AriCredentials): boolean {
  const check = (given: string) => {
    const i = given.indexOf(':');
    return i >= 0 && given.slice(0, i) === credentials.username && given.slice(i + 1) === credentials.password;
  };
  const header = req.headers.authorization;
  if (header?.startsWith('Basic ')) return check(Buffer.from(header.slice(6), 'base64').toString('utf8'));
  const key = query.get('api_key');
  return key !== null && check(key);
}

const FALLBACK_BRIDGE_TYPES = [
  'mixing',
  'holding',
  'dtmf_events',
  'proxy_media',
  'video_sfu',
  'video_single',
  'sdp_label',
];

/** The bridge type attributes `POST /bridges?type=` documents (listed in its description). */
export function bridgeTypeAttributes(docs: AriDocs): string[] {
  const route = docs.routes.find((r) => r.name === 'bridges.create');
  const description = route?.operation.parameters?.find((p) => p.name === 'type')?.description ?? '';
  const listed = /\(([^)]+)\)/.exec(description)?.[1];
  return listed ? listed.split(',').map((s) => s.trim()) : FALLBACK_BRIDGE_TYPES;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export interface AriRestOptions {
  docs: AriDocs;
  credentials: AriCredentials;
  /** What the operations act on (the simulated world) and report (asterisk id, applications). */
  ctx: OperationContext;
  /** Responses that did not match the documents are added here (and answered 500). */
  validationErrors: string[];
  /** Called with each answered `/ari/...` request (api-docs downloads excluded). */
  record(command: AriCommand): void;
}

export class AriRest {
  constructor(private readonly o: AriRestOptions) {}

  async handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const text = await readBody(req);
    if (!url.pathname.startsWith('/ari/')) return send(res, 404, { message: 'Resource not found' });
    if (!authorized(req, url.searchParams, this.o.credentials)) {
      return send(
        res,
        401,
        { message: 'Authentication required' },
        { 'WWW-Authenticate': 'Basic realm="Asterisk REST Interface"' },
      );
    }
    const path = url.pathname.slice('/ari'.length);
    const doc = /^\/api-docs\/(\w+)\.json$/.exec(path);
    if (doc?.[1]) {
      if (method !== 'GET') return send(res, 405, { message: 'Unsupported method' });
      const host = req.headers.host;
      const served = servedDocument(this.o.docs, doc[1], host ? `http://${host}/ari` : '');
      if (!served) return send(res, 404, { message: 'Resource not found' });
      if (!host) delete served.basePath; // Asterisk: without a Host header there is no basePath
      return send(res, 200, served);
    }

    const params: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) {
      if (k === 'api_key') continue;
      const prev = params[k];
      params[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    const match = matchRoute(this.o.docs, method, path);
    const command: AriCommand = {
      method,
      path,
      operation: match.kind === 'found' ? match.route.name : undefined,
      pathParams: match.kind === 'found' ? match.pathValues : {},
      params,
      body: undefined,
      status: 0,
      response: undefined,
      at: new Date(),
    };
    let result: AriResult;
    try {
      let body: Record<string, unknown> | undefined;
      if (text.trim() !== '' && /json/i.test(req.headers['content-type'] ?? '')) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          throw new AriHttpError(400, 'Error parsing request body');
        }
        command.body = parsed;
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
          body = Object.fromEntries(Object.entries(parsed));
          for (const [k, v] of Object.entries(body)) {
            if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') params[k] = String(v);
            else if (Array.isArray(v)) params[k] = v.map((x) => String(x));
          }
        }
      }
      if (match.kind === 'not-found') throw new AriHttpError(404, 'Resource not found');
      if (match.kind === 'method-not-allowed') {
        result = { status: 405, body: { message: 'Invalid method' }, headers: { Allow: match.allowed.join(', ') } };
      } else {
        const args = parseArgs(match.route, match.pathValues, url.searchParams, body);
        const handler = operations[match.route.name];
        result = handler
          ? handler(this.o.ctx, args)
          : { status: 501, body: { message: 'not implemented by the test server' } };
        if (result.status >= 200 && result.status < 300) {
          const problems = validateModel(
            this.o.docs.models,
            match.route.operation.responseClass,
            result.body,
            match.route.name,
          );
          if (problems.length > 0) {
            this.o.validationErrors.push(...problems);
            result = { status: 500, body: { message: 'Response validation failed' } };
          }
        }
      }
    } catch (err) {
      if (!(err instanceof AriHttpError)) throw err;
      result = { status: err.status, body: { message: err.message } };
    }
    command.status = result.status;
    command.response = result.body;
    this.o.record(command);
    send(res, result.status, result.body, result.headers);
  }
}
