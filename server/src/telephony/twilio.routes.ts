import { Router } from 'express';
import type { SmsStatus, TwilioProvider } from '@ringside/telephony';
import type { Clock } from '../clock';

/**
 * `POST /telephony/twilio/voice`, `/wait`, `/gather` and `/status`: form-encoded and signed by Twilio. The adapter
 * checks the signature before anything is read or recorded (unsigned or forged → 403).
 */
export function twilioRoutes(
  provider: TwilioProvider,
  clock: Clock,
  onSmsStatus?: (status: SmsStatus) => Promise<void>,
): Router {
  const router = Router();
  // Delivery reports of the text messages we sent (dunning reminders).
  router.post('/sms-status', async (req, res) => {
    const params = typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};
    const parsed = provider.parseSmsStatus(
      { path: req.originalUrl, signature: req.get('x-twilio-signature'), params },
      clock.now(),
    );
    if ('reject' in parsed) {
      res.status(parsed.reject.status).type(parsed.reject.contentType).send(parsed.reject.body);
      return;
    }
    await onSmsStatus?.(parsed.status);
    res.status(204).end();
  });
  router.post('/:kind', async (req, res, next) => {
    const kind = req.params.kind;
    if (kind !== 'voice' && kind !== 'status' && kind !== 'wait' && kind !== 'gather') return next();
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
