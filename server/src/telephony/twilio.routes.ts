import { Router } from 'express';
import type { TwilioProvider } from '@ringside/telephony';
import type { Clock } from '../clock';

/**
 * `POST /telephony/twilio/voice` and `/status`: form-encoded and signed by Twilio. The adapter
 * checks the signature before anything is read or recorded (unsigned or forged → 403).
 */
export function twilioRoutes(provider: TwilioProvider, clock: Clock): Router {
  const router = Router();
  router.post('/:kind', async (req, res, next) => {
    const kind = req.params.kind;
    if (kind !== 'voice' && kind !== 'status') return next();
    const receivedAt = clock.now();
    const params = typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};
    const answer = await provider.handleWebhook(
      kind,
      { path: req.originalUrl, signature: req.get('x-twilio-signature'), params },
      receivedAt,
    );
    if (answer.status === 403) req.log?.warn({ path: req.originalUrl }, 'rejected unsigned or forged Twilio webhook');
    res.status(answer.status).type(answer.contentType).send(answer.body);
  });
  return router;
}
