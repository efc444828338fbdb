// What the parts of the callback dialer share: its options and their defaults, the owner's guard,
// the dependencies CallbackDialer is built with, and the customer's time zone look-up.
import type { Types } from 'mongoose';
import type { CallEndKind, OutsideCallingHours, Provider } from '@ringside/shared';
import type { TelephonyProvider } from '@ringside/telephony';
import type { Models } from '../db/models';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { Realtime } from '../realtime/gateway';
import type { Callback } from '../db/schemas/callback.model';
import type { QueueDirectory } from '../routing/queues';
import { type AppError, conflict } from '../errors';

export interface DialerOptions {
  /** A personal callback waits this long for its agent before the whole queue gets it. */
  personalOfferMs: number;
  /** Attempts before a callback is marked failed. */
  maxAttempts: number;
  /** Wait before the next attempt after no answer / busy, by attempt number. */
  backoffMs: number[];
  /** Caller ID shown to the customer. */
  callerId: string;
  /** Seconds to ring the customer. */
  ringSeconds: number;
  /** A callback dialing this long without any provider event was never placed. */
  silentDialMs: number;
}

/** What a callback's owner (dunning) says when it is due and when it is dialed. */
export type GuardVerdict = { proceed: true } | { proceed: false; reason: string; postponeTo?: Date };

/** Rules checked when a callback is offered and dialed, not when it was scheduled. */
export interface CallbackGuard {
  check(cb: Callback, now: Date, moment: 'offer' | 'dial'): Promise<GuardVerdict>;
}

/** A 409 for a call outside the customer's calling hours, carrying the next window as data (`details.nextWindow`). */
export function outsideCallingHours(nextWindow: Date): AppError {
  const details: OutsideCallingHours = { nextWindow: nextWindow.toISOString() };
  return conflict(`outside the customer's calling hours; next window ${details.nextWindow}`, details);
}

/** How a virtual-hold callback's call ended: talked and hung up, or never answered. */
export type HoldingLegEnd = Extract<CallEndKind, 'hangup' | 'callback_unanswered'>;

export const DEFAULT_DIALER_OPTIONS: DialerOptions = {
  personalOfferMs: 10 * 60_000,
  maxAttempts: 3,
  backoffMs: [15 * 60_000, 60 * 60_000, 4 * 60 * 60_000],
  callerId: '+48221002000',
  ringSeconds: 30,
  silentDialMs: 5 * 60_000,
};

export interface DialerDeps {
  models: Models;
  clock: Clock;
  logger: Logger;
  realtime: Realtime;
  providers: Partial<Record<Provider, TelephonyProvider>>;
  options?: Partial<DialerOptions>;
  queues?: QueueDirectory;
  guard?: CallbackGuard;
}

export interface DialerParts extends Omit<DialerDeps, 'options' | 'queues'> {
  options: DialerOptions;
  queues: QueueDirectory;
}

export async function timeZoneOf(models: Models, customerId: Types.ObjectId): Promise<string> {
  return (await models.Customer.findById(customerId, { timeZone: 1 }).lean())?.timeZone ?? 'UTC';
}
