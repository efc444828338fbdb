import { z } from 'zod';

export const providerSchema = z.enum(['twilio', 'asterisk']);
export type Provider = z.infer<typeof providerSchema>;

/** Provider traffic, normalized by the telephony adapters. */
export type CallEvent =
  | {
      type: 'call.incoming';
      provider: Provider;
      callId: string;
      from: string;
      to: string;
      at: Date;
      callerName?: string;
    }
  | { type: 'call.ringing'; provider: Provider; callId: string; at: Date }
  /** `reference`: our own reference of a call we placed, when the provider echoes it. */
  | { type: 'call.answered'; provider: Provider; callId: string; at: Date; reference?: string }
  | { type: 'call.ended'; provider: Provider; callId: string; at: Date; reason: string; reference?: string }
  | { type: 'call.dtmf'; provider: Provider; callId: string; at: Date; digit: string }
  /** A caller on hold: what should they hear now (position, estimated wait, callback offer)? */
  | { type: 'call.waiting'; provider: Provider; callId: string; at: Date };

export const callStatusSchema = z.enum(['queued', 'offered', 'connected', 'wrap_up', 'ended', 'abandoned']);
export type CallStatus = z.infer<typeof callStatusSchema>;

export const dispositionSchema = z.enum([
  'resolved',
  'follow_up',
  'callback_scheduled',
  'promise_to_pay',
  'dispute',
  'wrong_number',
  'paid',
  'no_answer',
  'other',
]);
export type Disposition = z.infer<typeof dispositionSchema>;
