// What one REST request to the local ARI server carries: its parameters read and checked against
// the documented operation (OperationArgs, parseArgs), and errors answered as `{"message": "..."}`.
import type { AriRoute, SwaggerParameter } from './ari-docs';

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
