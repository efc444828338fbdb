import type { Request } from 'express';

/** The call a request is made from (`X-Call-Id` or `?callId=`), for the audit log. */
export function callIdOf(req: Request): string | undefined {
  const header = req.get('x-call-id');
  if (header) return header.slice(0, 64);
  return typeof req.query.callId === 'string' ? req.query.callId.slice(0, 64) : undefined;
}
