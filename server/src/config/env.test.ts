import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './env';

describe('loadConfig', () => {
  it('serves the embedded demo with defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 3000,
      mongodbUri: undefined,
      publicUrl: 'http://localhost:3000',
      seedDemo: true,
    });
    expect(config.ari.app).toBe('ringside');
    expect(config.twilio.apiBase).toBe('https://api.twilio.com');
  });

  it('reads every documented variable', () => {
    const config = loadConfig({
      PORT: '8080',
      MONGODB_URI: 'mongodb://db:27017/ringside?replicaSet=rs0',
      PUBLIC_URL: 'https://cc.example.com/',
      TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'token-123456',
      TWILIO_API_BASE: 'http://127.0.0.1:9999',
      ARI_URL: 'http://pbx:8088',
      ARI_USERNAME: 'u',
      ARI_PASSWORD: 'p',
      ARI_APP: 'cc',
      REDIS_URL: 'redis://redis:6379',
      JWT_SECRET: 'x'.repeat(40),
    });
    expect(config).toMatchObject({
      port: 8080,
      mongodbUri: 'mongodb://db:27017/ringside?replicaSet=rs0',
      publicUrl: 'https://cc.example.com',
      twilio: { accountSid: `AC${'a'.repeat(32)}`, authToken: 'token-123456', apiBase: 'http://127.0.0.1:9999' },
      ari: { url: 'http://pbx:8088', username: 'u', password: 'p', app: 'cc' },
      redisUrl: 'redis://redis:6379',
      jwt: { secret: 'x'.repeat(40) },
    });
  });

  it('reconciles quiet calls every minute by default, or as configured, or never', () => {
    expect(loadConfig({}).calls.reconcile).toEqual({ everyMs: 60_000, quietMs: 120_000 });
    expect(loadConfig({ CALL_RECONCILE_EVERY_MS: '30000', CALL_RECONCILE_QUIET_MS: '90000' }).calls.reconcile).toEqual({
      everyMs: 30_000,
      quietMs: 90_000,
    });
    expect(loadConfig({ CALL_RECONCILE_EVERY_MS: '0' }).calls.reconcile.everyMs).toBe(0);
    expect(() => loadConfig({ CALL_RECONCILE_EVERY_MS: '10' })).toThrow(
      /CALL_RECONCILE_EVERY_MS must be 0 \(off\) or at least 1000 \(got "10"\)/,
    );
    expect(() => loadConfig({ CALL_RECONCILE_QUIET_MS: '1000' })).toThrow(
      /CALL_RECONCILE_QUIET_MS must be at least 5000/,
    );
    expect(() => loadConfig({ CALL_RECONCILE_QUIET_MS: 'soon' })).toThrow(/CALL_RECONCILE_QUIET_MS must be a number/);
  });

  it('sweeps offers left by a gone process every 2 s by default, or as configured, or never', () => {
    expect(loadConfig({}).calls.offerSweepEveryMs).toBe(2000);
    expect(loadConfig({ OFFER_SWEEP_EVERY_MS: '0' }).calls.offerSweepEveryMs).toBe(0);
    expect(() => loadConfig({ OFFER_SWEEP_EVERY_MS: '100' })).toThrow(
      /OFFER_SWEEP_EVERY_MS must be 0 \(off\) or at least 500/,
    );
  });

  it('names the variable and never echoes a secret', () => {
    expect(() => loadConfig({ JWT_SECRET: 'short-secret' })).toThrow(ConfigError);
    expect(() => loadConfig({ JWT_SECRET: 'short-secret' })).toThrow(
      /^Invalid environment: JWT_SECRET must be at least 32 characters \(got "\*\*\*"\)$/,
    );
    expect(() => loadConfig({ REDIS_URL: 'http://x' })).toThrow(/REDIS_URL/);
    expect(() => loadConfig({ DUNNING_RENDER_WORKERS: '-1' })).toThrow(/DUNNING_RENDER_WORKERS must be 0 or more/);
    expect(() => loadConfig({ DUNNING_RENDER_WORKERS: 'many' })).toThrow(/DUNNING_RENDER_WORKERS must be a number/);
    expect(loadConfig({ DUNNING_RENDER_WORKERS: '0' }).dunning.renderWorkers).toBe(0);
    expect(loadConfig({}).dunning.renderWorkers).toBeUndefined();
  });

  it('requires real secrets in production and never seeds demo data there', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /JWT_SECRET is required in production.*TWILIO_ACCOUNT_SID.*TWILIO_AUTH_TOKEN.*PUBLIC_URL.*MONGODB_URI/,
    );
    const prod = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET: 'y'.repeat(40),
      TWILIO_ACCOUNT_SID: `AC${'b'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'real-token-xyz',
      PUBLIC_URL: 'https://cc.example.com',
      MONGODB_URI: 'mongodb://db/ringside',
    });
    expect(prod.seedDemo).toBe(false);
  });
});
