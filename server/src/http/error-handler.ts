import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { ErrorBody } from '@ringside/shared';
import { AppError, badRequest, notFound, toAppError } from '../errors';

/** Unknown routes under /api and /telephony answer 404 in the error model. */
export const notFoundHandler: RequestHandler = (req, _res, next) => next(notFound(`route ${req.method} ${req.path}`));

/** The one place errors become HTTP answers. */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  // body-parser: malformed JSON or a body that is too large.
  const bodyError =
    typeof err === 'object' && err !== null && 'type' in err && typeof err.type === 'string'
      ? err.type === 'entity.parse.failed'
        ? badRequest('request body is not valid JSON')
        : err.type === 'entity.too.large'
          ? new AppError('bad_request', 'request body is too large')
          : undefined
      : undefined;
  const appError = bodyError ?? toAppError(err);
  if (appError.code === 'internal') req.log?.error({ err }, 'unhandled error');
  const body: ErrorBody = {
    error: {
      code: appError.code,
      message: appError.message,
      ...(appError.details !== undefined ? { details: appError.details } : {}),
    },
  };
  res.status(appError.status).json(body);
};
