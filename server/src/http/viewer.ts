import type { Request } from 'express';
import type { Viewer } from '../customers/customers.service';
import { unauthorized } from '../errors';

/** The authenticated user of a request, as the services need it. */
export function viewerOf(req: Request): Viewer {
  if (!req.auth) throw unauthorized();
  return { userId: req.auth.sub, roles: req.auth.roles, name: req.auth.name };
}

/** The call a request is made from (`X-Call-Id` or `?callId=`), for the audit log. */
export function callIdOf(req: Request): string | undefined {
  const header = req.get('x-call-id');
  if (header) return header.slice(0, 64);
  return typeof req.query.callId === 'string' ? req.query.callId.slice(0, 64) : undefined;
}
