import { z } from 'zod';
import { isSupportedCountry } from 'libphonenumber-js';
import { parseLadder, type LadderStep } from '@ringside/shared';
import { freshSecrets, type GeneratedSecrets } from './secrets';

// Configuration is environment variables, parsed once at start. The defaults serve the
// embedded demo; production mode insists on real secrets. Without them outside production the
// server signs with generated ones (config/secrets.ts), never with a constant.

const port = z.coerce
  .number({ error: 'must be a number' })
  .int({ error: 'must be a whole number' })
  .min(0, { error: 'must be between 0 and 65535' })
  .max(65535, { error: 'must be between 0 and 65535' });

const optionalUrl = (protocols: RegExp) =>
  z.url({ protocol: protocols, error: `must be a URL (${protocols.source})` }).optional();

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: port.default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    MONGODB_URI: optionalUrl(/^mongodb(\+srv)?$/),
    DATA_DIR: z.string().min(1).default('.data'),
    PUBLIC_URL: optionalUrl(/^https?$/),
    TWILIO_ACCOUNT_SID: z
      .string()
      .regex(/^AC[0-9a-fA-F]{32}$/, { error: 'must look like AC followed by 32 hex digits' })
      .optional(),
    TWILIO_AUTH_TOKEN: z.string().min(8, { error: 'must be at least 8 characters' }).optional(),
    TWILIO_API_BASE: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('https://api.twilio.com'),
    ARI_URL: optionalUrl(/^https?$/),
    ARI_USERNAME: z.string().default('ringside'),
    ARI_PASSWORD: z.string().default(''),
    ARI_APP: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, { error: 'must be a Stasis application name (letters, digits, _ . -)' })
      .default('ringside'),
    REDIS_URL: optionalUrl(/^rediss?$/),
    JWT_SECRET: z.string().min(32, { error: 'must be at least 32 characters' }).optional(),
    JWT_TTL: z
      .string()
      .regex(/^\d+[smhd]$/, { error: 'must be a duration such as 12h or 30m' })
      .default('12h'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DEFAULT_COUNTRY: z
      .string()
      .toUpperCase()
      .refine((c) => isSupportedCountry(c), { error: 'must be an ISO 3166 country code such as PL' })
      .default('PL'),
    LOGIN_RATE_LIMIT: z.coerce
      .number({ error: 'must be a number' })
      .int()
      .min(1, { error: 'must be at least 1' })
      .default(10),
    SEED_DEMO: z.enum(['true', 'false'], { error: 'must be true or false' }).default('true'),
    OFFER_ACK_TIMEOUT_MS: z.coerce
      .number({ error: 'must be a number' })
      .int()
      .min(100, { error: 'must be at least 100' })
      .default(5000),
    OFFER_ACCEPT_TIMEOUT_MS: z.coerce
      .number({ error: 'must be a number' })
      .int()
      .min(1000, { error: 'must be at least 1000' })
      .default(20000),
    CONSOLE_GRACE_MS: z.coerce
      .number({ error: 'must be a number' })
      .int()
      .min(100, { error: 'must be at least 100' })
      .default(20_000),
    CALLBACK_SILENT_DIAL_MS: z.coerce
      .number({ error: 'must be a number' })
      .int()
      .min(1000, { error: 'must be at least 1000' })
      .default(300_000),
    CALL_RECONCILE_EVERY_MS: z.coerce
      .number({ error: 'must be a number' })
      .int()
      .refine((ms) => ms === 0 || ms >= 1000, { error: 'must be 0 (off) or at least 1000' })
      .default(60_000),
    CALL_RECONCILE_QUIET_MS: z.coerce
      .number({ error: 'must be a number' })
      .int()
      .min(5000, { error: 'must be at least 5000' })
      .default(120_000),
    OFFER_SWEEP_EVERY_MS: z.coerce
      .number({ error: 'must be a number' })
      .int()
      .refine((ms) => ms === 0 || ms >= 500, { error: 'must be 0 (off) or at least 500' })
      .default(2000),
    HOLD_MUSIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    TRUST_PROXY: z
      .string()
      .regex(/^(true|false|\d{1,2}|[\w.:/, -]+)$/, {
        error: 'must be true, false, a number of hops, or addresses/subnets such as loopback, 10.0.0.0/8',
      })
      .default('loopback'),
    METRICS_TOKEN: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
    ALLOWED_ORIGINS: z
      .string()
      .transform((list) =>
        list
          .split(',')
          .map((o) => o.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.url({ protocol: /^https?$/, error: 'must be a comma-separated list of http(s) origins' })))
      .optional(),
    DEMO_CUSTOMERS: z.coerce.number({ error: 'must be a number' }).int().min(0).default(2000),
    DUNNING_LADDER: z
      .string()
      .transform((text, ctx) => {
        try {
          return parseLadder(text);
        } catch (err) {
          ctx.addIssue({
            code: 'custom',
            message: `must be days:action pairs such as 3:sms,14:letter,21:call,45:legal (${err instanceof Error ? err.message : String(err)})`,
          });
          return z.NEVER;
        }
      })
      .optional(),
    DUNNING_SMS_FROM: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, { error: 'must be an E.164 number' })
      .optional(),
    TWILIO_MESSAGING_SERVICE_SID: z
      .string()
      .regex(/^MG[0-9a-fA-F]{32}$/, { error: 'must look like MG followed by 32 hex digits' })
      .optional(),
    DUNNING_STEP_LEASE_MS: z.coerce
      .number({ error: 'must be a number' })
      .int()
      .min(500, { error: 'must be at least 500' })
      .default(60_000),
    DUNNING_RENDER_WORKERS: z.coerce
      .number({ error: 'must be a number' })
      .int()
      .min(0, { error: 'must be 0 or more' })
      .max(16, { error: 'must be at most 16' })
      .optional(),
    JOBS_BATCH_PAUSE_MS: z.coerce
      .number({ error: 'must be a number' })
      .int()
      .min(0, { error: 'must be 0 or more' })
      .max(10_000, { error: 'must be at most 10000' })
      .default(10),
    JOBS_WORK_SHARE: z.coerce
      .number({ error: 'must be a number' })
      .min(0.05, { error: 'must be between 0.05 and 1' })
      .max(1, { error: 'must be between 0.05 and 1' })
      .default(0.33),
    JOBS_YIELD_ABOVE_MS: z.coerce
      .number({ error: 'must be a number' })
      .int()
      .min(1, { error: 'must be at least 1' })
      .default(50),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== 'production') return;
    for (const key of ['JWT_SECRET', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'PUBLIC_URL', 'MONGODB_URI'] as const) {
      if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required in production' });
    }
  });

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  mongodbUri: string | undefined;
  dataDir: string;
  publicUrl: string;
  twilio: { accountSid: string; authToken: string; apiBase: string };
  ari: { url: string | undefined; username: string; password: string; app: string };
  redisUrl: string | undefined;
  jwt: { secret: string; ttl: string };
  /** The secrets this start generated because the environment had none (names of the variables). */
  generatedSecrets: SecretVariable[];
  logLevel: string;
  defaultCountry: string;
  loginRateLimit: number;
  seedDemo: boolean;
  demoCustomers: number;
  offers: { ackTimeoutMs: number; acceptTimeoutMs: number };
  /** How long an agent's state outlives their last console; meanwhile they are offered no calls. */
  presence: { graceMs: number };
  /** A callback dialing this long with no word from the provider was never placed. */
  callbacks: { silentDialMs: number };
  /**
   * Calls whose provider has been quiet for `quietMs` are asked about at the provider every
   * `everyMs` (0: never), and ended when their caller is gone (calls/reconcile.ts).
   */
  calls: {
    reconcile: { everyMs: number; quietMs: number };
    /** How often offers whose deadline passed unseen (their process went) are moved on (0: never; calls/offers.ts). */
    offerSweepEveryMs: number;
  };
  holdMusicUrl: string | undefined;
  /** Express's `trust proxy`: which proxies' X-Forwarded-For to believe (the client address of limits and logs). */
  trustProxy: boolean | number | string;
  /** `GET /metrics` answers only with `Authorization: Bearer <this>`; off without it. */
  metricsToken: string | undefined;
  /** Browser origins that may open a socket: PUBLIC_URL's and ALLOWED_ORIGINS (the page's own origin always may). */
  allowedOrigins: string[];
  dunning: {
    ladder: LadderStep[] | undefined;
    smsFrom: string | undefined;
    messagingServiceSid: string | undefined;
    stepLeaseMs: number;
    renderWorkers: number | undefined;
  };
  /**
   * How the batch jobs give way to the call path: a pause between batches, and holding while a web
   * process's pop p95 or event-loop stall is above `yieldAboveMs`.
   */
  jobs: { pacer: { batchPauseMs: number; workShare: number; popP95Ms: number; loopLagMs: number } };
}

export type SecretVariable = 'JWT_SECRET' | 'TWILIO_ACCOUNT_SID' | 'TWILIO_AUTH_TOKEN';

export interface LoadOptions {
  /**
   * Where secrets missing from the environment come from outside production: random ones for
   * this process unless given (main.ts gives those kept in the data directory, `DATA_DIR`).
   */
  secrets?: (dataDir: string) => GeneratedSecrets;
}

/** Thrown with one line that names the variable and what is wrong with it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): Config {
  // `NAME=` (empty) means unset, as in .env files and compose files.
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = issue.path.join('.') || 'environment';
      const raw = typeof issue.path[0] === 'string' ? source[issue.path[0]] : undefined;
      const shown =
        raw === undefined
          ? ''
          : ` (got ${JSON.stringify(key.includes('SECRET') || key.includes('TOKEN') || key.includes('PASSWORD') ? '***' : raw)})`;
      return `${key} ${issue.message}${shown}`;
    });
    throw new ConfigError(`Invalid environment: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  const generatedSecrets = (['JWT_SECRET', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN'] as const).filter((k) => !e[k]);
  // Asked for once, and only when something is missing (never in production: the schema refused that).
  let generated: GeneratedSecrets | undefined;
  const made = () => (generated ??= options.secrets ? options.secrets(e.DATA_DIR) : freshSecrets());
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    mongodbUri: e.MONGODB_URI,
    dataDir: e.DATA_DIR,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    twilio: {
      accountSid: e.TWILIO_ACCOUNT_SID ?? made().twilioAccountSid,
      authToken: e.TWILIO_AUTH_TOKEN ?? made().twilioAuthToken,
      apiBase: e.TWILIO_API_BASE.replace(/\/$/, ''),
    },
    ari: { url: e.ARI_URL, username: e.ARI_USERNAME, password: e.ARI_PASSWORD, app: e.ARI_APP },
    redisUrl: e.REDIS_URL,
    jwt: { secret: e.JWT_SECRET ?? made().jwtSecret, ttl: e.JWT_TTL },
    generatedSecrets,
    logLevel: e.LOG_LEVEL,
    defaultCountry: e.DEFAULT_COUNTRY,
    loginRateLimit: e.LOGIN_RATE_LIMIT,
    seedDemo: e.SEED_DEMO === 'true' && e.NODE_ENV !== 'production',
    demoCustomers: e.DEMO_CUSTOMERS,
    offers: { ackTimeoutMs: e.OFFER_ACK_TIMEOUT_MS, acceptTimeoutMs: e.OFFER_ACCEPT_TIMEOUT_MS },
    presence: { graceMs: e.CONSOLE_GRACE_MS },
    callbacks: { silentDialMs: e.CALLBACK_SILENT_DIAL_MS },
    calls: {
      reconcile: { everyMs: e.CALL_RECONCILE_EVERY_MS, quietMs: e.CALL_RECONCILE_QUIET_MS },
      offerSweepEveryMs: e.OFFER_SWEEP_EVERY_MS,
    },
    holdMusicUrl: e.HOLD_MUSIC_URL,
    trustProxy: trustProxyOf(e.TRUST_PROXY),
    metricsToken: e.METRICS_TOKEN,
    allowedOrigins: [
      ...new Set([
        new URL(e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).origin,
        ...(e.ALLOWED_ORIGINS ?? []).map((o) => new URL(o).origin),
      ]),
    ],
    dunning: {
      ladder: e.DUNNING_LADDER,
      smsFrom: e.DUNNING_SMS_FROM,
      messagingServiceSid: e.TWILIO_MESSAGING_SERVICE_SID,
      stepLeaseMs: e.DUNNING_STEP_LEASE_MS,
      renderWorkers: e.DUNNING_RENDER_WORKERS,
    },
    jobs: {
      pacer: {
        batchPauseMs: e.JOBS_BATCH_PAUSE_MS,
        workShare: e.JOBS_WORK_SHARE,
        popP95Ms: e.JOBS_YIELD_ABOVE_MS,
        loopLagMs: e.JOBS_YIELD_ABOVE_MS,
      },
    },
  };
}

function trustProxyOf(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return /^\d+$/.test(value) ? Number(value) : value;
}
