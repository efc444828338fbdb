// Request bodies: JSON and form-encoded, with limits on size, field count and nesting checked
// before any route (and any signature check) looks at them. What body-parser refuses becomes a 4xx
// in the error model (error-handler.ts): a bad charset or encoding, a broken gzip stream, too many fields.
import express, { type RequestHandler } from 'express';
import { badRequest } from '../errors';

export const BODY_LIMITS = {
  /** JSON bodies, in bytes (after decompression). */
  json: 256 * 1024,
  /** Form-encoded bodies (Twilio's webhooks, public forms). */
  form: 64 * 1024,
  /** Fields of a form-encoded body. */
  parameters: 1000,
  /** Arrays and objects inside one another, the outermost counting as 1. */
  depth: 32,
} as const;

/** The body parsers, in order: JSON, form-encoded, then the nesting limit on what they made. */
export function bodyParsers(): RequestHandler[] {
  return [
    express.json({ limit: BODY_LIMITS.json }),
    express.urlencoded({ extended: false, limit: BODY_LIMITS.form, parameterLimit: BODY_LIMITS.parameters }),
    limitDepth(BODY_LIMITS.depth),
  ];
}

/** Refuses a parsed body nested deeper than `max` (checked without recursion: depth is the attack). */
export function limitDepth(max: number): RequestHandler {
  return (req, _res, next) => {
    const depth = depthOf(req.body, max);
    if (depth > max) return next(badRequest(`the request body is nested deeper than ${max} levels`));
    next();
  };
}

/** How deep arrays and objects nest in `value`; stops counting once past `max`. */
export function depthOf(value: unknown, max = Infinity): number {
  if (typeof value !== 'object' || value === null) return 0;
  let deepest = 0;
  const stack: Array<[object, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [object, number];
    if (depth > deepest) deepest = depth;
    if (deepest > max) return deepest;
    for (const child of Object.values(node)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return deepest;
}
