// Asterisk's own ARI API documents (Swagger 1.x, ARI 10.0.0, from ../shared/ari-api-docs): loading,
// the route table built from them, request-parameter checks and a model validator, so the local
// ARI server answers and emits exactly what the documents describe.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const allowableValues = z.looseObject({
  valueType: z.enum(['LIST', 'RANGE']),
  values: z.array(z.string()).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
});
const parameter = z.looseObject({
  name: z.string(),
  description: z.string().optional(),
  paramType: z.enum(['path', 'query', 'body', 'header', 'form']),
  required: z.boolean().optional(),
  allowMultiple: z.boolean().optional(),
  dataType: z.string(),
  defaultValue: z.unknown().optional(),
  allowableValues: allowableValues.optional(),
});
const operation = z.looseObject({
  httpMethod: z.string(),
  nickname: z.string(),
  responseClass: z.string(),
  upgrade: z.string().optional(),
  parameters: z.array(parameter).optional(),
  errorResponses: z.array(z.looseObject({ code: z.union([z.number(), z.string()]), reason: z.string() })).optional(),
});
const modelProperty = z.looseObject({
  type: z.string(),
  required: z.boolean().optional(),
  allowableValues: allowableValues.optional(),
});
const model = z.looseObject({
  id: z.string(),
  properties: z.record(z.string(), modelProperty),
  subTypes: z.array(z.string()).optional(),
  discriminator: z.string().optional(),
});
const apiDeclaration = z.looseObject({
  apiVersion: z.string(),
  swaggerVersion: z.string(),
  basePath: z.string(),
  resourcePath: z.string(),
  apis: z.array(z.looseObject({ path: z.string(), operations: z.array(operation) })),
  models: z.record(z.string(), model).optional(),
});
const resourceListing = z.looseObject({
  apiVersion: z.string(),
  swaggerVersion: z.string(),
  basePath: z.string(),
  apis: z.array(z.looseObject({ path: z.string() })),
});

export type SwaggerParameter = z.infer<typeof parameter>;
export type SwaggerOperation = z.infer<typeof operation>;
export type SwaggerModel = z.infer<typeof model>;
export type ApiDeclaration = z.infer<typeof apiDeclaration>;

/** One documented operation, e.g. `POST /channels/{channelId}/answer` → `channels.answer`. */
export interface AriRoute {
  resource: string;
  /** Path template relative to `/ari`, as documented. */
  path: string;
  method: string;
  operation: SwaggerOperation;
  /** `resource.nickname`, the same names ari-client uses (`client.channels.answer`). */
  name: string;
  regex: RegExp;
  pathParams: string[];
  /** Static segments before parameters: used to prefer `/channels/create` over `/channels/{channelId}`. */
  specificity: number[];
}

export interface AriDocs {
  dir: string;
  apiVersion: string;
  /** The documents as served (resources.json under the key `resources`), before `basePath` rewriting. */
  raw: Map<string, Record<string, unknown>>;
  declarations: Map<string, ApiDeclaration>;
  models: Map<string, SwaggerModel>;
  routes: AriRoute[];
}

function findRepoRoot(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      const json: unknown = JSON.parse(readFileSync(pkg, 'utf8'));
      if (typeof json === 'object' && json !== null && 'workspaces' in json) return dir;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Where the ARI documents live: `ARI_API_DOCS_DIR` if set, else `<repo root>/../shared/ari-api-docs`
 * (the repository is checked out as `<parent>/main` with `<parent>/shared` beside it).
 */
export function defaultAriDocsDir(): string {
  const fromEnv = process.env.ARI_API_DOCS_DIR;
  if (fromEnv) return resolve(fromEnv);
  const here = dirname(fileURLToPath(import.meta.url));
  const root = findRepoRoot(here) ?? resolve(here, '../../../..');
  return resolve(root, '..', 'shared', 'ari-api-docs');
}

function compileRoute(resource: string, path: string, method: string, op: SwaggerOperation): AriRoute {
  const pathParams: string[] = [];
  const specificity: number[] = [];
  const pattern = path
    .split('/')
    .slice(1)
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      specificity.push(param ? 1 : 0);
      if (!param?.[1]) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      pathParams.push(param[1]);
      return '([^/]+)';
    })
    .join('/');
  return {
    resource,
    path,
    method: method.toUpperCase(),
    operation: op,
    name: `${resource}.${op.nickname}`,
    regex: new RegExp(`^/${pattern}$`),
    pathParams,
    specificity,
  };
}

export function loadAriDocs(dir = defaultAriDocsDir()): AriDocs {
  const listingFile = join(dir, 'resources.json');
  if (!existsSync(listingFile)) {
    throw new Error(
      `ARI API documents not found: ${listingFile} does not exist. Put Asterisk's rest-api docs in ` +
        `<repo>/../shared/ari-api-docs or set ARI_API_DOCS_DIR.`,
    );
  }
  const readJson = (file: string): Record<string, unknown> =>
    z.record(z.string(), z.unknown()).parse(JSON.parse(readFileSync(file, 'utf8')));
  const raw = new Map<string, Record<string, unknown>>();
  const listingRaw = readJson(listingFile);
  const listing = resourceListing.parse(listingRaw);
  raw.set('resources', listingRaw);

  const declarations = new Map<string, ApiDeclaration>();
  const models = new Map<string, SwaggerModel>();
  const routes: AriRoute[] = [];
  for (const entry of listing.apis) {
    const name = /\/api-docs\/(\w+)\.\{format\}$/.exec(entry.path)?.[1];
    if (!name) throw new Error(`unexpected api path in resources.json: ${entry.path}`);
    const declRaw = readJson(join(dir, `${name}.json`));
    const decl = apiDeclaration.parse(declRaw);
    raw.set(name, declRaw);
    declarations.set(name, decl);
    for (const [id, m] of Object.entries(decl.models ?? {})) if (!models.has(id)) models.set(id, m);
    for (const api of decl.apis) {
      for (const op of api.operations) routes.push(compileRoute(name, api.path, op.httpMethod, op));
    }
  }
  return { dir, apiVersion: listing.apiVersion, raw, declarations, models, routes };
}

/** A document as Asterisk serves it: unchanged except `basePath`, which points at the host asked. */
export function servedDocument(docs: AriDocs, name: string, basePath: string): Record<string, unknown> | undefined {
  const doc = docs.raw.get(name);
  return doc ? { ...doc, basePath } : undefined;
}

export type RouteMatch =
  | { kind: 'found'; route: AriRoute; pathValues: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' };

function compareSpecificity(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Resolves `/channels/abc/answer` the way Asterisk's handler tree does: static segments win. */
export function matchRoute(docs: AriDocs, method: string, path: string): RouteMatch {
  const candidates = docs.routes
    .map((route) => ({ route, m: route.regex.exec(path) }))
    .filter((c): c is { route: AriRoute; m: RegExpExecArray } => c.m !== null);
  if (candidates.length === 0) return { kind: 'not-found' };
  candidates.sort((a, b) => compareSpecificity(a.route.specificity, b.route.specificity));
  const bestPath = candidates[0]?.route.path;
  const samePath = candidates.filter((c) => c.route.path === bestPath);
  const hit = samePath.find((c) => c.route.method === method.toUpperCase());
  if (!hit) return { kind: 'method-not-allowed', allowed: samePath.map((c) => c.route.method) };
  const pathValues: Record<string, string> = {};
  hit.route.pathParams.forEach((name, i) => (pathValues[name] = decodeURIComponent(hit.m[i + 1] ?? '')));
  return { kind: 'found', route: hit.route, pathValues };
}

/** An error answered the way `ast_ari_response_error` does: `{"message": "..."}` with a status. */
export class AriHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'AriHttpError';
  }
}

export type ArgValue = string | number | boolean | string[];

/** The checked, converted arguments of one request (path, query, and JSON-body fields). */
export class OperationArgs {
  constructor(
    readonly values: ReadonlyMap<string, ArgValue>,
    /** The JSON body container (`variables`, `fields`) if the operation takes one. */
    readonly body: Record<string, unknown> | undefined,
  ) {}
  str(name: string): string | undefined {
    const v = this.values.get(name);
    return v === undefined ? undefined : Array.isArray(v) ? v.join(',') : String(v);
  }
  /** A path parameter (always present after matching). */
  path(name: string): string {
    return this.str(name) ?? '';
  }
  list(name: string): string[] {
    const v = this.values.get(name);
    if (v === undefined) return [];
    return Array.isArray(v) ? v : [String(v)];
  }
  int(name: string): number | undefined {
    const v = this.values.get(name);
    return typeof v === 'number' ? v : undefined;
  }
  bool(name: string): boolean | undefined {
    const v = this.values.get(name);
    return typeof v === 'boolean' ? v : undefined;
  }
}

/** Messages Asterisk's resource implementations give for specific parameters (res/ari/resource_*.c). */
const missingMessages: Record<string, string> = {
  'channels.originate.endpoint': 'Endpoint must be specified',
  'channels.originateWithId.endpoint': 'Endpoint must be specified',
  'channels.create.endpoint': 'Endpoint must be specified',
  'bridges.addChannel.channel': 'Missing parameter channel',
  'bridges.removeChannel.channel': 'Missing parameter channel',
  'events.userEvent.application': 'Missing parameter application',
};
const invalidMessages: Record<string, string> = {
  'channels.hangup.reason': 'Invalid reason for hangup provided',
  'channels.mute.direction': 'Invalid direction specified',
  'channels.unmute.direction': 'Invalid direction specified',
  'channels.record.terminateOn': 'terminateOn invalid',
  'channels.record.ifExists': 'ifExists invalid',
  'bridges.record.terminateOn': 'terminateOn invalid',
  'bridges.record.ifExists': 'ifExists invalid',
};

const TRUE = new Set(['true', 'yes', 'y', 't', '1', 'on']);
const FALSE = new Set(['false', 'no', 'n', 'f', '0', 'off']);
const MAX_VALS = 128;

function convertOne(route: AriRoute, p: SwaggerParameter, raw: string): string | number | boolean {
  const invalid = (why: string) =>
    new AriHttpError(
      400,
      invalidMessages[`${route.name}.${p.name}`] ?? `Invalid value '${raw}' for parameter ${p.name}: ${why}`,
    );
  let value: string | number | boolean = raw;
  switch (p.dataType) {
    case 'int':
    case 'long':
      if (!/^-?\d+$/.test(raw.trim())) throw invalid('not an integer');
      value = Number(raw);
      break;
    case 'double':
      if (raw.trim() === '' || Number.isNaN(Number(raw))) throw invalid('not a number');
      value = Number(raw);
      break;
    case 'boolean':
      if (TRUE.has(raw.toLowerCase())) value = true;
      else if (FALSE.has(raw.toLowerCase())) value = false;
      else throw invalid('not a boolean');
      break;
  }
  const allowed = p.allowableValues;
  if (allowed?.valueType === 'LIST' && allowed.values && !allowed.values.includes(raw)) {
    throw invalid(`allowed values are ${allowed.values.join(', ')}`);
  }
  if (allowed?.valueType === 'RANGE' && typeof value === 'number') {
    if (allowed.min !== undefined && value < allowed.min) throw invalid(`minimum is ${allowed.min}`);
    if (allowed.max !== undefined && value > allowed.max) throw invalid(`maximum is ${allowed.max}`);
  }
  return value;
}

/** `a,b,"c,d"` → values, as `ast_app_separate_args` splits multi-valued parameters. */
function splitList(raw: string): string[] {
  if (raw === '') return [''];
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of raw) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function bodyFieldToStrings(value: unknown): string[] | undefined {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  if (Array.isArray(value)) return value.map((v) => String(v));
  return undefined;
}

/**
 * Reads and checks a request's parameters against the documented operation: query parameters,
 * JSON-body fields with the same names (Asterisk accepts both, the body winning), the body
 * container; required parameters must be present, values must convert and be among the
 * documented allowable values.
 */
export function parseArgs(
  route: AriRoute,
  pathValues: Record<string, string>,
  query: URLSearchParams,
  body: Record<string, unknown> | undefined,
): OperationArgs {
  const values = new Map<string, ArgValue>();
  let container: Record<string, unknown> | undefined;
  for (const p of route.operation.parameters ?? []) {
    if (p.paramType === 'path') {
      values.set(p.name, pathValues[p.name] ?? '');
      continue;
    }
    if (p.paramType === 'body') {
      if (body !== undefined) container = body;
      if (p.required && body?.[p.name] === undefined) {
        throw new AriHttpError(400, `Missing ${p.name} parameter.`);
      }
      continue;
    }
    if (p.paramType !== 'query') continue;
    const queryValue = query.getAll(p.name).at(-1);
    let raws: string[] | undefined =
      queryValue === undefined ? undefined : p.allowMultiple ? splitList(queryValue) : [queryValue];
    const fromBody = body ? bodyFieldToStrings(body[p.name]) : undefined;
    if (fromBody) raws = p.allowMultiple ? fromBody : fromBody.slice(-1);
    if (raws === undefined || (raws.length === 1 && raws[0] === '')) {
      // Empty counts as absent (ast_strlen_zero in the resource implementations).
      if (p.required) {
        throw new AriHttpError(400, missingMessages[`${route.name}.${p.name}`] ?? `Missing parameter ${p.name}`);
      }
      continue;
    }
    if (raws.length >= MAX_VALS) throw new AriHttpError(400, `Too many values for ${p.name}`);
    const converted = raws.map((r) => convertOne(route, p, r));
    if (p.allowMultiple) values.set(p.name, converted.map(String));
    else if (converted[0] !== undefined) values.set(p.name, converted[0]);
  }
  return new OperationArgs(values, container);
}

/** Asterisk's JSON date format (`ast_json_timeval`): `2026-11-23T19:00:00.000+0000`. */
export function ariTimestamp(date: Date = new Date()): string {
  return date.toISOString().replace('Z', '+0000');
}
const DATE_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{4}$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function ancestors(models: ReadonlyMap<string, SwaggerModel>, id: string): SwaggerModel[] {
  for (const m of models.values()) {
    if (m.subTypes?.includes(id)) return [m, ...ancestors(models, m.id)];
  }
  return [];
}

/**
 * Checks a value against a documented type the way Asterisk's `ari_model_validators.c` does in
 * developer mode: required fields present, field types right, no undocumented fields, and
 * (for messages) the `type` discriminator naming a documented subtype. Returns the problems found.
 */
export function validateModel(
  models: ReadonlyMap<string, SwaggerModel>,
  type: string,
  value: unknown,
  at = type,
): string[] {
  const list = /^List\[(\w+)\]$/.exec(type);
  if (list?.[1]) {
    if (!Array.isArray(value)) return [`${at}: expected a list`];
    const itemType = list[1];
    return value.flatMap((v, i) => validateModel(models, itemType, v, `${at}[${i}]`));
  }
  switch (type) {
    case 'string':
      return typeof value === 'string' ? [] : [`${at}: expected a string`];
    case 'int':
    case 'long':
      return Number.isInteger(value) ? [] : [`${at}: expected an integer`];
    case 'double':
      return typeof value === 'number' ? [] : [`${at}: expected a number`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: expected a boolean`];
    case 'Date':
      return typeof value === 'string' && DATE_RE.test(value)
        ? []
        : [`${at}: expected an Asterisk date, got ${JSON.stringify(value)}`];
    case 'object':
      return isRecord(value) ? [] : [`${at}: expected an object`];
    case 'void':
      return value === undefined ? [] : [`${at}: expected no content`];
  }
  let m = models.get(type);
  if (!m) return [`${at}: undocumented type ${type}`];
  if (!isRecord(value)) return [`${at}: expected a ${type} object`];
  if (m.discriminator) {
    const sub = value[m.discriminator];
    const subModel = typeof sub === 'string' ? models.get(sub) : undefined;
    if (!subModel || !ancestors(models, subModel.id).some((a) => a.id === m?.id)) {
      return [`${at}: ${m.discriminator} ${JSON.stringify(sub)} is not a documented ${type}`];
    }
    m = subModel;
  }
  const props = new Map<string, SwaggerModel['properties'][string]>();
  for (const owner of [m, ...ancestors(models, m.id)]) {
    for (const [name, prop] of Object.entries(owner.properties)) if (!props.has(name)) props.set(name, prop);
  }
  const problems: string[] = [];
  for (const [name, prop] of props) {
    const v = value[name];
    if (v === undefined) {
      if (prop.required) problems.push(`${at}.${name}: missing required field`);
      continue;
    }
    problems.push(...validateModel(models, prop.type, v, `${at}.${name}`));
    const allowed = prop.allowableValues;
    if (allowed?.valueType === 'LIST' && allowed.values && typeof v === 'string' && !allowed.values.includes(v)) {
      problems.push(`${at}.${name}: ${JSON.stringify(v)} is not one of ${allowed.values.join(', ')}`);
    }
  }
  for (const name of Object.keys(value)) {
    if (!props.has(name)) problems.push(`${at}.${name}: undocumented field`);
  }
  return problems;
}
