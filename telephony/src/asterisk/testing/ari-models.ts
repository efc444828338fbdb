// Checking values against the models in Asterisk's API documents (ari_model_validators.c in
// developer mode), and Asterisk's JSON date format.
import type { SwaggerModel } from './ari-docs';

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
