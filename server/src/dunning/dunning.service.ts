// The dunning ladder's front door: the service the app, its routes, jobs and the callback dialer call.
// Its parts live beside it: scan/ (reading and syncing cases), steps/ (planning and taking steps), and one module per concern.
import type { DunningStats } from '@ringside/shared';
import type { Callback } from '../db/schemas/callback.model';
import type { GuardVerdict } from '../callbacks/callback-dialer';
import type { Viewer } from '../auth/viewer';
import { createContext, type DunningContext, type DunningDeps } from './context';
import type { DunningOptions } from './options';
import type { DocumentKind } from './documents';
import { runScan, type ScanOptions, type ScanReport } from './scan/run';
import { checkCallback } from './call-guard';
import { recordOutcome } from './outcomes';
import { onSmsStatus } from './sms-status';
import { caseDocument, getCase, listCases } from './case-view';

export { DEFAULT_DUNNING_OPTIONS, type DunningOptions, type SmsGateway } from './options';
export type { DunningDeps } from './context';
export type { ScanReport } from './scan/run';
export { addOverdue, type OverdueDebt } from './scan/read';

/**
 * The dunning ladder. A scan (the recurring job, or `POST /api/dunning/run`) keeps one live case
 * per customer and currency in step with the overdue invoices, then advances every case whose
 * next look is due. Each step re-reads what matters when it runs, not when it was planned: the
 * balance (paid → closed, nothing sent), promise to pay, dispute, do-not-call and consent,
 * calling hours in the customer's zone, and the call cap.
 *
 * Exactly once, also across crashes: a step with a side effect is first claimed on the case
 * (`pending`: its key, this process, a lease and, for a text message, its recipient and text),
 * with a conditional update that only one runner can win (`stepsDone` lacks the key and no live
 * lease exists). The effect happens next, and then one update records it (`stepsDone` gains the
 * key, `pending` goes). A runner that finds a claim whose lease ran out does not repeat it
 * blindly: for a text message it asks Twilio for messages sent to that number since the claim and
 * records the one found; letters, legal summaries and callbacks are written under keys derived
 * from the case (document id, case number, callback natural key), so doing them again finds the
 * first one instead of making another.
 */
export class DunningService {
  readonly options: DunningOptions;
  private readonly ctx: DunningContext;

  constructor(deps: DunningDeps) {
    this.ctx = createContext(deps);
    this.options = this.ctx.options;
  }

  /** Stops the render workers (they also stop by themselves after a minute without work). */
  close(): Promise<void> {
    return this.ctx.renderer.close();
  }

  /** One full scan: cases in step with the overdue invoices, then every due step. */
  scan(opts: ScanOptions = {}): Promise<ScanReport> {
    return runScan(this.ctx, opts);
  }

  /** Dunning progress for supervisors (as of the last scan, counters live); cached for 5 s. */
  figures(): Promise<DunningStats> {
    return this.ctx.figures.read();
  }

  /** Asked by the callback dialer before a dunning callback is offered and before it is dialed. */
  checkCallback(cb: Callback, now: Date, moment: 'offer' | 'dial'): Promise<GuardVerdict> {
    return checkCallback(this.ctx, cb, now, moment);
  }

  /** What the agent learned on the call. Checked against the same portfolio rules as the customer. */
  recordOutcome(id: string, input: unknown, viewer: Viewer) {
    return recordOutcome(this.ctx, id, input, viewer);
  }

  /** A delivery report of a reminder (Twilio's status callback). */
  onSmsStatus(status: { messageSid: string; status: string; errorCode?: string; at: Date }): Promise<void> {
    return onSmsStatus(this.ctx, status);
  }

  list(input: unknown) {
    return listCases(this.ctx, input);
  }

  get(id: string, viewer: Viewer) {
    return getCase(this.ctx, id, viewer);
  }

  /** The letter or the legal summary of a case, for those who may read the case. */
  document(id: string, kind: DocumentKind, viewer: Viewer) {
    return caseDocument(this.ctx, id, kind, viewer);
  }
}
