// Configuration of the Asterisk adapter: how it reaches ARI and rings agents, and the prompts
// waiting callers hear.
import type { Clock } from '@ringside/shared';

export interface AsteriskOptions {
  /** ARI base URL, e.g. `http://pbx:8088`. */
  url: string;
  username: string;
  password: string;
  /** Stasis application name (dialplan: `Stasis(ringside)`). */
  app: string;
  /** Stamps every event (`at`): the same clock as the rest of the call path. */
  clock: Clock;
  /** Dial string for outbound calls; `{number}` is replaced by the E.164 number. */
  outboundEndpoint?: string;
  /** Seconds to ring an agent before giving up. */
  agentRingTimeout?: number;
  /** Prompts played to waiting callers (sound names without `sound:`); see `DEFAULT_PROMPTS`. */
  prompts?: Partial<typeof DEFAULT_PROMPTS>;
  log?: (level: 'info' | 'warn' | 'error', msg: string, data?: Record<string, unknown>) => void;
}

/**
 * Asterisk's own queue prompts (core sounds) for position and hold time; the callback offer and
 * its confirmation are Ringside's prompts, installed as `sounds/<lang>/ringside/*.wav`.
 */
export const DEFAULT_PROMPTS = {
  next: 'queue-youarenext',
  thereAre: 'queue-thereare',
  callsWaiting: 'queue-callswaiting',
  holdTime: 'queue-holdtime',
  minutes: 'queue-minutes',
  callbackOffer: 'ringside/press-1-for-callback',
  callbackConfirmed: 'ringside/callback-confirmed',
};

export type PromptName = keyof typeof DEFAULT_PROMPTS;

/** The media URI of a prompt (`sound:…`), the configured sound if there is one, else the default. */
export function promptMedia(prompts: AsteriskOptions['prompts'], name: PromptName): string {
  return `sound:${prompts?.[name] ?? DEFAULT_PROMPTS[name]}`;
}
