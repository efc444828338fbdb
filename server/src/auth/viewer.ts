import type { Request } from 'express';
import type { Role } from '@ringside/shared';
import { unauthorized } from '../errors';

/** Who is asking: what a user may see and change depends on their roles (and, for customers, the portfolio setting). */
export interface Viewer {
  userId: string;
  roles: Role[];
  name: string;
}

/** The authenticated user of a request, as the services need it. */
export function viewerOf(req: Request): Viewer {
  if (!req.auth) throw unauthorized();
  return { userId: req.auth.sub, roles: req.auth.roles, name: req.auth.name };
}
