import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Paths never written to a log: credentials, tokens, signatures. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-twilio-signature"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.passwordHash',
  '*.token',
  '*.authToken',
  '*.secret',
  'password',
  'token',
];

export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  return pino({
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'ringside' },
    ...options,
  });
}
