import type { RequestHandler } from 'express';
import type { TokenClaims } from '@ringside/shared';
import type { AuthService } from './auth.service';
import { unauthorized } from '../errors';

declare module 'express-serve-static-core' {
  interface Request {
    auth?: TokenClaims;
  }
}

/** Requires `Authorization: Bearer <jwt>` of an open session; puts the claims on `req.auth`. */
export function requireAuth(auth: AuthService): RequestHandler {
  return (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) return next(unauthorized());
    auth.authenticate(match[1]).then((claims) => {
      req.auth = claims;
      next();
    }, next);
  };
}
