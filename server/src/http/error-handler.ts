import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { ErrorBody } from '@ringside/shared';
import { AppError, badRequest, notFound, toAppError, tooLarge, unsupportedMediaType } from '../errors';
import { BODY_LIMITS } from './body-parsing';

/** Unknown routes under /api and /telephony answer 404 in the error model. */
export const notFoundHandler: RequestHandler = (req, _res, next) => next(notFound(`route ${req.method} ${req.path}`));

/** The one place errors become HTTP answers. */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const appError = requestError(err, req) ?? toAppError(err);
  if (appError.code === 'internal') req.log?.error({ err }, 'unhandled error');
  const body: ErrorBody = {
    error: {
      code: appError.code,
      message: appError.message,
      ...(appError.details !== undefined ? { details: appError.details } : {}),
    },
  };
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(appError.status).json(body);
};

/**
 * What the request itself got wrong before any route ran: body-parser's refusals (each with its
 * `type`, or a 4xx `status` for a stream that would not decompress) and a path whose
 * percent-encoding does not decode (the router's URIError). Undefined for anything else.
 */
export function requestError(err: unknown, req: Pick<Request, 'is'>): AppError | undefined {
  if (err instanceof AppError || typeof err !== 'object' || err === null) return undefined;
  if (err instanceof URIError) return badRequest('the request path is not valid percent-encoding');
  const e = err as { type?: unknown; status?: unknown; expose?: unknown; message?: unknown; charset?: unknown };
  const detail = typeof e.message === 'string' ? e.message.slice(0, 200) : '';
  switch (e.type) {
    case 'entity.parse.failed':
      return badRequest(req.is('json') ? 'request body is not valid JSON' : 'request body could not be parsed');
    case 'entity.too.large':
      return tooLarge(`request body is too large (at most ${limitFor(req)} bytes)`);
    case 'parameters.too.many':
      return tooLarge(`the form has more than ${BODY_LIMITS.parameters} fields`);
    case 'charset.unsupported':
      return unsupportedMediaType(
        `unsupported charset${typeof e.charset === 'string' ? ` "${e.charset.slice(0, 40)}"` : ''}: send UTF-8`,
      );
    case 'encoding.unsupported':
      return unsupportedMediaType('unsupported Content-Encoding: use gzip, deflate or br, or none');
    case 'request.aborted':
      return badRequest('the request body ended early');
    case 'request.size.invalid':
      return badRequest('the request body does not match its Content-Length');
    case 'querystring.parse.rangeError':
      return badRequest('the form is nested too deeply');
  }
  // A 4xx that body-parser (http-errors) marked as safe to tell: a gzip or deflate stream that
  // does not decompress, for one.
  if (e.expose === true && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    if (e.status === 413) return tooLarge(detail || 'request is too large');
    if (e.status === 415) return unsupportedMediaType(detail || 'unsupported media type');
    return badRequest(`the request body could not be read${detail ? ` (${detail})` : ''}`);
  }
  return undefined;
}

function limitFor(req: Pick<Request, 'is'>): number {
  return req.is('json') ? BODY_LIMITS.json : BODY_LIMITS.form;
}
