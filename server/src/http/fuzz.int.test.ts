// Property-based fuzzing of the whole edge: every HTTP route (as each role and as nobody) with
// random methods, odd path encodings, query strings, bodies, headers, content types and encodings,
// and every client socket event with random payloads, with an ack and without. The property: no
// answer is a 5xx, no ack says `internal`, and the server is healthy afterwards. Seeded, so a
// failure is the same on every run; fast-check shrinks it to the smallest request that fails.
import { deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import fc from 'fast-check';
import { Types } from 'mongoose';
import type { Ack } from '@ringside/shared';
import { signTwilioRequest } from '@ringside/telephony/testing';
import { addCustomer, startCallsHarness, TWILIO, type CallsHarness, type TestAgent } from '../testing/calls-harness';
import { rawRequest, type RawAnswer, type RawRequest } from './testing/raw-http';

const SEED = 20_261_124;
const HTTP_CASES = 7_000;
const SOCKET_CASES = 4_000;

let h: CallsHarness;
const tokens: Record<string, string> = {};
const sockets: TestAgent[] = [];
const ids = { customer: '', callback: '', case: '', task: '', user: '', call: '' };

beforeAll(async () => {
  h = await startCallsHarness({ LOGIN_RATE_LIMIT: '1000000' });
  for (const [role, email] of Object.entries(EMAILS)) tokens[role] = await h.token(email);
  for (const email of ['agent1@ringside.test', 'supervisor@ringside.test', 'admin@ringside.test']) {
    sockets.push(await h.agent(email));
  }
  const customer = await addCustomer(h.models, { name: 'Fuzz Kowalski', phones: ['601 777 888'] });
  ids.customer = customer._id.toString();
  ids.user = sockets[0]?.id ?? '';
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${tokens.supervisor}` };
  const post = async (path: string, body: unknown) =>
    JSON.parse(
      (await rawRequest(h.server.url, { method: 'POST', target: path, headers, body: JSON.stringify(body) })).body,
    ) as Record<string, { id?: string } | undefined>;
  ids.callback =
    (
      await post('/api/callbacks', {
        customerId: ids.customer,
        dueAt: new Date(Date.now() + 86_400_000).toISOString(),
        reason: 'Fuzz',
      })
    ).callback?.id ?? '';
  ids.case = (await post('/api/cases', { customerId: ids.customer, subject: 'Fuzz case' })).case?.id ?? '';
  ids.task =
    (await post('/api/tasks', { title: 'Fuzz task', customerId: ids.customer, dueAt: new Date().toISOString() })).task
      ?.id ?? '';
  ids.call = (await h.incoming('+48601777888')).callSid;
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

const EMAILS = {
  agent: 'agent1@ringside.test',
  supervisor: 'supervisor@ringside.test',
  legal: 'legal@ringside.test',
  admin: 'admin@ringside.test',
} as const;

/** Every route of the routers (server/src/*\/*.routes.ts, app.ts), `:x` for a path parameter. */
const ROUTES: ReadonlyArray<readonly [string, string]> = [
  ['GET', '/healthz'],
  ['GET', '/metrics'],
  ['POST', '/telephony/twilio/voice'],
  ['POST', '/telephony/twilio/status'],
  ['POST', '/telephony/twilio/wait'],
  ['POST', '/telephony/twilio/gather'],
  ['POST', '/telephony/twilio/sms-status'],
  ['POST', '/telephony/twilio/:x'],
  ['POST', '/api/auth/login'],
  ['POST', '/api/auth/logout'],
  ['GET', '/api/auth/me'],
  ['GET', '/api/users'],
  ['POST', '/api/users'],
  ['PATCH', '/api/users/:user'],
  ['DELETE', '/api/users/:user'],
  ['GET', '/api/users/:user/sessions'],
  ['DELETE', '/api/sessions/:x'],
  ['GET', '/api/agents'],
  ['GET', '/api/customers'],
  ['POST', '/api/customers'],
  ['GET', '/api/customers/:customer'],
  ['PATCH', '/api/customers/:customer'],
  ['GET', '/api/customers/:customer/screen-pop'],
  ['GET', '/api/customers/:customer/timeline'],
  ['POST', '/api/customers/:customer/notes'],
  ['GET', '/api/cases'],
  ['POST', '/api/cases'],
  ['GET', '/api/cases/:case'],
  ['PATCH', '/api/cases/:case'],
  ['POST', '/api/cases/:case/notes'],
  ['GET', '/api/tasks'],
  ['POST', '/api/tasks'],
  ['PATCH', '/api/tasks/:task'],
  ['GET', '/api/audit'],
  ['GET', '/api/settings'],
  ['PATCH', '/api/settings'],
  ['GET', '/api/supervisor/stats'],
  ['GET', '/api/queues'],
  ['PUT', '/api/queues/:x'],
  ['GET', '/api/dunning/cases'],
  ['GET', '/api/dunning/cases/:x'],
  ['GET', '/api/dunning/cases/:x/letter'],
  ['GET', '/api/dunning/cases/:x/legal-summary'],
  ['POST', '/api/dunning/cases/:x/outcome'],
  ['POST', '/api/dunning/run'],
  ['GET', '/api/callbacks'],
  ['POST', '/api/callbacks'],
  ['POST', '/api/callbacks/:callback/accept'],
  ['PATCH', '/api/callbacks/:callback'],
  ['DELETE', '/api/callbacks/:callback'],
  ['POST', '/api/calls/outbound'],
  ['GET', '/api/orders'],
  ['POST', '/api/orders'],
  ['GET', '/'],
  ['GET', '/:x'],
  ['GET', '/api/:x'],
];

// ---------- the pieces of a request ----------

const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
const objectId = hex(24);
const pct = (bytes: Uint8Array) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
/** Any text as a request target may carry it: printable ASCII kept, everything else percent-encoded. */
const encodeLoosely = (s: string) =>
  [...Buffer.from(s, 'utf8')]
    .map((b) => (b > 0x20 && b < 0x7f && b !== 0x3f && b !== 0x23 ? String.fromCharCode(b) : pct(Uint8Array.of(b))))
    .join('');
const oddSegment = fc.oneof(
  fc.constantFrom('%ZZ', '%', '%E0%A4%A', '%00', '..', '%2e%2e', '%2F', '%C0%AF', '%FF%FE', 'a%20b', 'null', '0', '-1'),
  fc.constantFrom('1e309', 'undefined', '[object Object]', '__proto__', 'constructor', '%25', '%u0041', 'ä', '*'),
  fc.string({ maxLength: 30 }).map(encodeLoosely),
  fc.uint8Array({ maxLength: 12 }).map(pct),
  fc.string({ unit: 'binary', maxLength: 8 }).map((s) => encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, '?'))),
);
const realId = (key: keyof typeof ids) => fc.constant(0).map(() => ids[key]);
/** How a path parameter is filled: the real id of its kind (where there is one), any id, or an odd value. */
const paramChoice = fc.record({
  kind: fc.constantFrom('real', 'real', 'real', 'objectId', 'odd', 'odd'),
  objectId,
  odd: fc.oneof(oddSegment, fc.constantFrom('voice', 'status', 'collections', 'support', 'letter')),
});
type ParamChoice = typeof paramChoice extends fc.Arbitrary<infer T> ? T : never;
const REAL: Record<string, keyof typeof ids> = {
  customer: 'customer',
  callback: 'callback',
  case: 'case',
  task: 'task',
};
function fill(name: string, choice: ParamChoice): string {
  // Never a real user: a fuzzed PATCH or DELETE must not lock the testers out.
  const real = REAL[name];
  if (choice.kind === 'real' && real) return ids[real];
  return choice.kind === 'odd' ? choice.odd : choice.objectId;
}

const queryKey = fc.oneof(
  fc.constantFrom('q', 'phone', 'label', 'status', 'stage', 'mine', 'customerId', 'limit', 'before', 'from', 'to'),
  fc.constantFrom(
    'format',
    'agentId',
    'queue',
    'cursor',
    'ref',
    'a[]',
    'a[b][c]',
    '__proto__',
    'constructor[prototype]',
  ),
  oddSegment,
);
const queryValue = fc.oneof(
  fc.constantFrom('', 'true', 'false', 'open', 'scheduled', '0', '-1', '201', '1e9', 'NaN', 'csv', 'vip', '%ZZ', '%00'),
  fc.constantFrom('2026-01-01T00:00:00Z', 'yesterday', '+48601777888', 'Kowal', 'ą', '%C4%85'),
  realId('customer'),
  objectId,
  oddSegment,
);
const queryString = fc.option(
  fc
    .array(fc.tuple(queryKey, queryValue), { maxLength: 6 })
    .map((pairs) => pairs.map(([k, v]) => `${encodeLoosely(k)}=${encodeLoosely(v)}`).join('&')),
  { nil: undefined },
);

const FIELDS = [
  'email',
  'password',
  'customerId',
  'dueAt',
  'reason',
  'phone',
  'queue',
  'personal',
  'status',
  'name',
  'text',
  'callId',
  'disposition',
  'note',
  'assignedTo',
  'roles',
  'skills',
  'labels',
  'doNotCall',
  'flags',
  'subject',
  'priority',
  'kind',
  'title',
  'amount',
  'currency',
  'sku',
  'items',
  'qty',
  'restrictToPortfolio',
  'defaultCountry',
  'numbers',
  'isDefault',
  'slaSeconds',
  'outcome',
  'date',
  'agentId',
  'endpoints',
  'active',
  'language',
  'phones',
  'timeZone',
  'country',
  'survey',
  'stage',
  'from',
  'to',
  '__proto__',
  'constructor',
  'toString',
  '',
] as const;
const scalar = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('2026-11-24T15:00:00+01:00', '2000-01-01T00:00:00Z', '9999-12-31T23:59:59Z', 'not a date', ''),
  fc.constantFrom('agent', 'supervisor', 'admin', 'available', 'away', 'open', 'resolved', 'PLN', 'PL', 'en'),
  fc.constantFrom('+48601777888', '601 777 888', '0', 'x@y.z', 'agent1@ringside.test', 'ringside'),
  realId('customer'),
  realId('callback'),
  realId('call'),
  objectId,
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const { value: jsonish } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...FIELDS), tie('value'), { maxKeys: 6 }),
  ),
}));
const bodyObject = fc.dictionary(fc.constantFrom(...FIELDS), jsonish, { maxKeys: 8 });
const TWILIO_FIELDS = ['CallSid', 'AccountSid', 'From', 'To', 'CallStatus', 'Digits', 'MessageSid', 'MessageStatus'];
const twilioValue = fc.oneof(
  hex(32).map((x) => `CA${x}`),
  realId('call'),
  fc.constantFrom('ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'delivered', 'failed', '1', '9#'),
  fc.constantFrom('+48601777888', '+48221234567', '', 'anonymous', `SM${'a'.repeat(32)}`),
  fc.string({ maxLength: 30 }),
);
const twilioParams = fc.dictionary(
  fc.oneof({ arbitrary: fc.constantFrom(...TWILIO_FIELDS), weight: 4 }, fc.string({ maxLength: 10 })),
  twilioValue,
  { maxKeys: 9 },
);

/** A body as a description (its bytes are made when sent, so a counterexample stays readable). */
type Body =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  | { kind: 'form'; params: Record<string, string> }
  | { kind: 'raw form'; text: string }
  | { kind: 'garbage'; bytes: Uint8Array }
  | { kind: 'deep'; levels: number; open: '[' | '{"a":' }
  | { kind: 'many fields'; fields: number }
  | { kind: 'large'; kb: number };
const body: fc.Arbitrary<Body> = fc.oneof(
  { arbitrary: fc.constant<Body>({ kind: 'none' }), weight: 3 },
  { arbitrary: bodyObject.map((value): Body => ({ kind: 'json', value })), weight: 6 },
  { arbitrary: jsonish.map((value): Body => ({ kind: 'json', value })), weight: 2 },
  { arbitrary: twilioParams.map((params): Body => ({ kind: 'form', params })), weight: 4 },
  {
    arbitrary: fc
      .array(fc.tuple(oddSegment, oddSegment), { maxLength: 8 })
      .map((pairs): Body => ({ kind: 'raw form', text: pairs.map(([k, v]) => `${k}=${v}`).join('&') })),
    weight: 2,
  },
  { arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes): Body => ({ kind: 'garbage', bytes })), weight: 2 },
  {
    arbitrary: fc
      .record({ levels: fc.integer({ min: 20, max: 60_000 }), open: fc.constantFrom('[' as const, '{"a":' as const) })
      .map((d): Body => ({ kind: 'deep', ...d })),
    weight: 1,
  },
  {
    arbitrary: fc.integer({ min: 990, max: 1_200 }).map((fields): Body => ({ kind: 'many fields', fields })),
    weight: 1,
  },
  { arbitrary: fc.constantFrom(250, 300).map((kb): Body => ({ kind: 'large', kb })), weight: 1 },
);

/** The Content-Type a body claims, and its bytes. */
function bytesOf(b: Body): { type?: string; bytes?: Buffer; params?: Record<string, string> } {
  const JSON_TYPE = 'application/json';
  const FORM_TYPE = 'application/x-www-form-urlencoded';
  switch (b.kind) {
    case 'none':
      return {};
    case 'json':
      return { type: JSON_TYPE, bytes: Buffer.from(JSON.stringify(b.value) ?? 'null') };
    case 'form':
      return { type: FORM_TYPE, bytes: Buffer.from(new URLSearchParams(b.params).toString()), params: b.params };
    case 'raw form':
      return { type: FORM_TYPE, bytes: Buffer.from(b.text) };
    case 'garbage':
      return { bytes: Buffer.from(b.bytes) };
    case 'deep':
      return {
        type: JSON_TYPE,
        bytes: Buffer.from(b.open.repeat(b.levels) + '1' + (b.open === '[' ? ']' : '}').repeat(b.levels)),
      };
    case 'many fields':
      return {
        type: FORM_TYPE,
        bytes: Buffer.from(Array.from({ length: b.fields }, (_, i) => `f${i}=${i}`).join('&')),
      };
    case 'large':
      return { type: JSON_TYPE, bytes: Buffer.from(JSON.stringify({ text: 'x'.repeat(b.kb * 1024) })) };
  }
}

const contentType = fc.oneof(
  { arbitrary: fc.constant<string | undefined>('claimed'), weight: 8 },
  fc.constantFrom(
    undefined,
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'application/json; charset=utf-16le',
    'application/json; charset=klingon',
    'application/x-www-form-urlencoded; charset=iso-8859-1',
    'application/x-www-form-urlencoded; charset=utf-7',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/vnd.api+json',
    'application/json; charset',
    ';;',
    'application/json; charset="utf-8',
    '*/*',
    'application/x-www-form-urlencoded, application/json',
  ),
  fc.stringMatching(/^[a-z]{1,8}\/[a-z+.-]{1,12}(; [a-z]{1,6}=[a-z0-9-]{0,8})?$/),
);
/** The Content-Encoding header, and whether the body really is encoded that way. */
const encoding = fc.oneof(
  { arbitrary: fc.constant({ header: undefined as string | undefined, apply: false }), weight: 8 },
  fc.record({
    header: fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'GZIP', 'snappy', 'gzip, gzip', 'zstd', '', 'x-gzip'),
    apply: fc.boolean(),
  }),
);
const role = fc.constantFrom('none', 'garbage', 'agent', 'supervisor', 'legal', 'admin');
const oddHeaders = fc.record(
  {
    'x-request-id': fc.string({ maxLength: 60 }).map(encodeLoosely),
    'x-forwarded-for': fc.constantFrom('not-an-ip', '::ffff:1.2.3.4', '1.2.3.4, 5.6.7.8', '', '999.1.1.1', '::1'),
    accept: fc.constantFrom('*/*', 'text/csv', 'application/xml', 'nonsense', ''),
    'accept-encoding': fc.constantFrom('gzip', 'br', 'identity;q=0', '*;q=0', 'nonsense'),
    range: fc.constantFrom('bytes=0-10', 'bytes=abc', 'bytes=10-1', 'items=1'),
    'if-none-match': fc.constantFrom('*', '"x"', 'W/"1"'),
    cookie: fc.string({ maxLength: 40 }).map(encodeLoosely),
  },
  { requiredKeys: [] },
);

const httpCase = fc.record({
  route: fc.constantFrom(...ROUTES),
  method: fc.oneof(
    { arbitrary: fc.constant('route'), weight: 8 },
    fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND'),
  ),
  param: paramChoice,
  query: queryString,
  target: fc.constantFrom(
    'origin',
    'origin',
    'origin',
    'origin',
    'origin',
    'origin',
    'absolute',
    'double slash',
    'trailing',
  ),
  role,
  body,
  contentType,
  encoding,
  signature: fc.constantFrom('none', 'valid', 'valid', 'random'),
  chunked: fc.boolean(),
  headers: oddHeaders,
});
type HttpCase = typeof httpCase extends fc.Arbitrary<infer T> ? T : never;

function buildRequest(c: HttpCase): RawRequest {
  const [routeMethod, template] = c.route;
  const path = encodeLoosely(template.replace(/:(\w+)/g, (_, name: string) => fill(name, c.param)));
  const made = bytesOf(c.body);
  let target = path + (c.query === undefined ? '' : `?${c.query}`);
  if (c.target === 'absolute') target = `http://ringside.example.com${target}`;
  if (c.target === 'double slash') target = `/${target}`;
  if (c.target === 'trailing') target = `${target.split('?')[0]}/`;
  const method = c.method === 'route' ? routeMethod : c.method;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.headers)) if (v !== undefined) headers[k] = v;
  // Logging out ends the session the other cases use: only garbage tokens go there.
  const as = template === '/api/auth/logout' && c.role !== 'none' ? 'garbage' : c.role;
  if (as === 'garbage') headers.authorization = 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl';
  else if (as !== 'none') headers.authorization = `Bearer ${tokens[as] ?? ''}`;
  const type = c.contentType === 'claimed' ? made.type : c.contentType;
  if (type !== undefined) headers['content-type'] = type;
  let bytes = made.bytes;
  if (c.encoding.header !== undefined) {
    headers['content-encoding'] = c.encoding.header;
    if (bytes && c.encoding.apply) bytes = c.encoding.header === 'deflate' ? deflateSync(bytes) : gzipSync(bytes);
  }
  if (c.signature === 'random') headers['x-twilio-signature'] = 'c2lnbmF0dXJlPw==';
  if (c.signature === 'valid' && template.startsWith('/telephony')) {
    headers['x-twilio-signature'] = signTwilioRequest(
      TWILIO.token,
      TWILIO.publicUrl + target.replace(/^http:\/\/[^/]+/, ''),
      made.params ?? {},
    );
  }
  const request: RawRequest = { method, target, headers, ...(bytes ? { body: bytes } : {}) };
  if (c.chunked && bytes) request.chunked = true;
  return request;
}

// ---------- socket events ----------

const EVENTS = ['agent:state:set', 'call:accept', 'call:wrapup', 'callback:schedule'] as const;
const eventPayload = fc.oneof(
  fc.record(
    {
      status: fc.constantFrom('available', 'away', 'wrap_up', 'offline', 'on_call', 'busy', ''),
      reason: fc.oneof(fc.string({ maxLength: 300 }), jsonish),
      agentId: fc.oneof(realId('user'), objectId, oddSegment, jsonish),
    },
    { requiredKeys: [] },
  ),
  fc.record(
    {
      callId: fc.oneof(
        realId('call'),
        hex(32).map((x) => `CA${x}`),
        fc.string({ maxLength: 40 }),
        jsonish,
      ),
      disposition: fc.oneof(fc.constantFrom('resolved', 'callback', 'no_answer', 'sale', 'x'), jsonish),
      note: fc.oneof(fc.string({ maxLength: 200 }), jsonish),
      customerId: fc.oneof(realId('customer'), objectId, jsonish),
    },
    { requiredKeys: [] },
  ),
  fc.record(
    {
      customerId: fc.oneof(realId('customer'), objectId, jsonish),
      dueAt: fc.oneof(
        fc
          .date({ min: new Date('2020-01-01'), max: new Date('2035-01-01'), noInvalidDate: true })
          .map((d) => d.toISOString()),
        jsonish,
      ),
      reason: fc.oneof(fc.string({ maxLength: 200 }), jsonish),
      phone: fc.oneof(fc.constantFrom('+48601777888', '601', 'x'), jsonish),
      queue: fc.oneof(fc.constantFrom('support', 'sales', ''), jsonish),
      personal: jsonish,
    },
    { requiredKeys: [] },
  ),
  jsonish,
  fc.constant(undefined),
);
const socketCase = fc.record({
  socket: fc.nat({ max: 2 }),
  event: fc.oneof(
    { arbitrary: fc.constantFrom(...EVENTS), weight: 9 },
    fc.constantFrom('nonsense', 'call:offered', 'agent:state'),
  ),
  payload: eventPayload,
  extra: fc.option(jsonish, { nil: undefined }),
  ack: fc.boolean(),
});

function emit(c: typeof socketCase extends fc.Arbitrary<infer T> ? T : never): Promise<Ack<unknown> | 'no ack'> {
  const socket = sockets[c.socket]?.socket;
  if (!socket) throw new Error('no socket');
  const send = socket.emit.bind(socket) as (event: string, ...args: unknown[]) => void;
  const args: unknown[] = [c.payload, ...(c.extra === undefined ? [] : [c.extra])];
  // An event nobody listens to gets no ack (Socket.IO's own rule): it is sent, and must harm nothing.
  if (!c.ack || !(EVENTS as readonly string[]).includes(c.event)) {
    send(c.event, ...args);
    return Promise.resolve('no ack');
  }
  return new Promise((resolve, reject) => {
    const wait = COLLECT ? 500 : 5_000; // collecting: an event never answered is listed, not waited for
    const timer = setTimeout(() => reject(new Error(`no ack to ${c.event} within ${wait} ms`)), wait);
    send(c.event, ...args, (answer: Ack<unknown>) => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}

// ---------- the properties ----------

const tally = { http: 0, socket: 0, retried: 0, slow: [] as string[], statuses: new Map<number, number>() };
/** FUZZ_COLLECT=1: every case runs and the 5xx answers are listed together instead of failing at the first one. */
const COLLECT = process.env.FUZZ_COLLECT === '1';
const found = new Map<string, number>();

it(`answers ${HTTP_CASES} fuzzed HTTP requests and ${SOCKET_CASES} socket events without a 5xx, and stays healthy`, async () => {
  const started = performance.now();
  await fc.assert(
    fc.asyncProperty(httpCase, async (c) => {
      const request = buildRequest(c);
      const sentAt = performance.now();
      let answer: RawAnswer;
      try {
        answer = await rawRequest(h.server.url, request);
      } catch {
        // A kept-alive connection the server had just closed: the same request on a new one must
        // be answered (a request the server drops every time is a finding).
        try {
          answer = await rawRequest(h.server.url, { ...request, fresh: true });
        } catch (err) {
          throw new Error(`no answer to ${request.method} ${request.target}: ${(err as Error).message}`);
        }
        tally.retried++;
      }
      const took = performance.now() - sentAt;
      if (took > 1_000)
        tally.slow.push(`${Math.round(took)} ms: ${request.method} ${c.route[1]} (${c.body.kind} body)`);
      tally.http++;
      tally.statuses.set(answer.status, (tally.statuses.get(answer.status) ?? 0) + 1);
      if (answer.status >= 500) {
        const what = `${request.method} ${c.route[1]} (${c.body.kind} body) → ${answer.status} ${answer.body.slice(0, 200)}`;
        if (!COLLECT) throw new Error(`${what}; sent as ${request.method} ${request.target.slice(0, 200)}`);
        found.set(what, (found.get(what) ?? 0) + 1);
      }
    }),
    { seed: SEED, numRuns: HTTP_CASES, endOnFailure: false },
  );
  const httpMs = performance.now() - started;

  await fc.assert(
    fc.asyncProperty(socketCase, async (c) => {
      let answer: Awaited<ReturnType<typeof emit>>;
      try {
        answer = await emit(c);
      } catch (err) {
        if (!COLLECT) throw err;
        const what = `${c.event} with ${c.extra === undefined ? 'one argument' : 'two arguments'}: ${(err as Error).message}`;
        found.set(what, (found.get(what) ?? 0) + 1);
        return;
      }
      tally.socket++;
      if (answer !== 'no ack') {
        expect(
          typeof answer === 'object' && answer !== null && typeof answer.ok === 'boolean',
          JSON.stringify(answer),
        ).toBe(true);
        if (!answer.ok && answer.code === 'internal') {
          const what = `${c.event} → internal: ${answer.error}`;
          if (!COLLECT) throw new Error(`${what}; payload ${JSON.stringify(c.payload)?.slice(0, 200)}`);
          found.set(what, (found.get(what) ?? 0) + 1);
        }
      }
    }),
    { seed: SEED, numRuns: SOCKET_CASES },
  );
  const socketMs = performance.now() - started - httpMs;
  if (COLLECT) console.log(`fuzz findings:\n${[...found].map(([w, n]) => `${n}× ${w}`).join('\n') || 'none'}`);
  expect([...found.keys()]).toEqual([]);

  // Healthy after: health, a normal login, a normal request, a socket that answers.
  const health = await rawRequest(h.server.url, { method: 'GET', target: '/healthz' });
  expect(health.status).toBe(200);
  const token = await h.token('agent2@ringside.test');
  const customer = await rawRequest(h.server.url, {
    method: 'GET',
    target: `/api/customers/${ids.customer}`,
    headers: { authorization: `Bearer ${token}` },
  });
  expect(customer.status).toBe(200);
  const agent = await h.agent('agent2@ringside.test');
  expect(await agent.emit('agent:state:set', { status: 'away' })).toMatchObject({ ok: true });
  expect(await h.models.Customer.exists({ _id: new Types.ObjectId(ids.customer) })).toBeTruthy();

  const statuses = [...tally.statuses]
    .sort(([a], [b]) => a - b)
    .map(([s, n]) => `${s}×${n}`)
    .join(' ');
  if (tally.slow.length)
    console.log(`fuzz: ${tally.slow.length} answers took over 1 s:\n${tally.slow.slice(0, 10).join('\n')}`);
  console.log(
    `fuzz (seed ${SEED}): ${tally.http} HTTP cases in ${(httpMs / 1000).toFixed(1)} s, ${tally.socket} socket cases in ` +
      `${(socketMs / 1000).toFixed(1)} s, ${tally.http + tally.socket} in all (${tally.retried} sent again on a new connection); statuses ${statuses}`,
  );
}, 300_000);
