import { pino, stdSerializers, type Logger, type LoggerOptions } from 'pino';
import type { Config } from './config/env';

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
  '*.authorization',
  '*.Authorization',
  'password',
  'token',
];

/**
 * Parts of a client library's error that carry the request as sent (its headers, basic auth,
 * the socket): an HTTP client's error (Twilio's SDK uses axios) keeps them on `config`,
 * `request` and `response`. The log keeps the message, the code and the status.
 */
const REQUEST_PARTS = ['config', 'request', 'response', 'headers', 'auth', 'options', 'agent', 'socket'];

/** pino's error serializer without the request the error carries; causes too. */
export function safeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const serialized = stdSerializers.err(err) as unknown as Record<string, unknown>;
  const status = (err as { response?: { status?: unknown }; status?: unknown }).response?.status;
  for (const key of REQUEST_PARTS) delete serialized[key];
  if (typeof status === 'number' && serialized.status === undefined) serialized.status = status;
  if (err.cause instanceof Error) serialized.cause = safeError(err.cause);
  return serialized;
}

/**
 * A last guard on every line written: the secrets this process holds (and their HTTP Basic
 * forms) never reach the log, whatever object carried them there.
 */
function scrubber(secrets: readonly string[]): ((line: string) => string) | undefined {
  const words = secrets.filter((s) => s.length >= 8);
  if (words.length === 0) return undefined;
  const forms = new Set<string>();
  for (const word of words) {
    forms.add(word);
    forms.add(JSON.stringify(word).slice(1, -1)); // as it appears inside a JSON string
  }
  const list = [...forms].sort((a, b) => b.length - a.length);
  return (line) => {
    let out = line;
    for (const form of list) if (out.includes(form)) out = out.split(form).join('[redacted]');
    return out.replace(/Basic [A-Za-z0-9+/]{16,}={0,2}/g, 'Basic [redacted]');
  };
}

/** The logger's settings (createLogger's, and tests' that write elsewhere). */
export function loggerOptions(
  level: string,
  secrets: readonly string[] = [],
  options: LoggerOptions = {},
): LoggerOptions {
  const scrub = scrubber(secrets);
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'ringside' },
    serializers: { err: safeError, error: safeError },
    ...(scrub ? { hooks: { streamWrite: scrub } } : {}),
    ...options,
  };
}

/**
 * The process's logger. `secrets`: values that must never appear in a line (the JWT secret,
 * provider tokens, passwords), however they got into what is logged.
 */
export function createLogger(level: string, options: LoggerOptions = {}, secrets: readonly string[] = []): Logger {
  return pino(loggerOptions(level, secrets, options));
}

/** What this configuration holds that no log line may show. */
export function secretsOf(config: Config): string[] {
  const { twilio, jwt, ari } = config;
  const basic = Buffer.from(`${twilio.accountSid}:${twilio.authToken}`).toString('base64');
  return [jwt.secret, twilio.authToken, basic, ari.password];
}
