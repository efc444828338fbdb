// Asterisk's own ARI API documents (Swagger 1.x, ARI 10.0.0, from ../shared/ari-api-docs): loading
// them and the route table built from them, so the local ARI server answers exactly the documented
// operations. Request-parameter checks live in ari-request.ts, the model validator in ari-models.ts.
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

export { AriHttpError, OperationArgs, parseArgs, type ArgValue } from './ari-request';
export { ariTimestamp, validateModel } from './ari-models';
