import { Router, type Request } from 'express';
import type { SmsStatus, TwilioProvider, WebhookRequest } from '@ringside/telephony';
import type { Clock } from '../clock';
import { unsupportedMediaType } from '../errors';

/**
 * `POST /telephony/twilio/voice`, `/wait`, `/gather` and `/status`: form-encoded and signed by Twilio. The adapter
 * checks the signature before anything is read or recorded (unsigned or forged → 403); a body that cannot be a
 * Twilio webhook at all (not form-encoded, nested, too many fields) is refused before that (415, 400, 413).
 */
export function twilioRoutes(
  provider: TwilioProvider,
  clock: Clock,
  onSmsStatus?: (status: SmsStatus) => Promise<void>,
): Router {
  const router = Router();
  // Delivery reports of the text messages we sent (dunning reminders).
  router.post('/sms-status', async (req, res) => {
    const parsed = provider.parseSmsStatus(webhookRequest(req), clock.now());
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
    const answer = await provider.handleWebhook(kind, webhookRequest(req), receivedAt);
    if (answer.status === 403) req.log?.warn({ path: req.originalUrl }, 'rejected unsigned or forged Twilio webhook');
    res.status(answer.status).type(answer.contentType).send(answer.body);
  });
  return router;
}

/** The webhook as the adapter takes it; a body that is not form-encoded is not Twilio's (415). */
function webhookRequest(req: Request): WebhookRequest {
  if (req.body !== undefined && !req.is('application/x-www-form-urlencoded')) {
    throw unsupportedMediaType('Twilio webhooks are form-encoded (application/x-www-form-urlencoded)');
  }
  const params: unknown = req.body ?? {};
  return {
    path: req.originalUrl,
    signature: req.get('x-twilio-signature'),
    params: params as Record<string, unknown>,
  };
}
