// The demo's Twilio: without Twilio credentials (outside production), Twilio's REST API is a
// local stand-in, so that accepting a simulated call (`npm run call`) works end to end. The
// stand-in is loaded only then: production never loads test code.
import type { Config } from '../config/env';
import type { Logger } from '../logger';

export interface TwilioSandbox {
  url: string;
  close(): Promise<void>;
}

/** The stand-in when this start is a demo without Twilio credentials; otherwise nothing. */
export async function startDemoTwilio(
  config: Config,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TwilioSandbox | undefined> {
  if (config.env === 'production' || env.TWILIO_ACCOUNT_SID) return undefined;
  const { startTwilioRestServer } = await import('@ringside/telephony/testing');
  const sandbox = await startTwilioRestServer({
    accountSid: config.twilio.accountSid,
    authToken: config.twilio.authToken,
  });
  logger.warn(
    { twilioApiBase: sandbox.url },
    'no TWILIO_ACCOUNT_SID: Twilio REST calls go to a local stand-in (demo mode)',
  );
  return sandbox;
}
