// Recording a performed step: the case update that ends its claim, its audit, the customer's interaction; or the failure.
import { mongo, type AnyBulkWriteOperation } from 'mongoose';
import type { AuditInput } from '../../audit/audit.service';
import type { Interaction } from '../../db/schemas/interaction.model';
import { auditMany, type DunningContext } from '../context';
import { formatMoney } from '../documents';
import { DAY_MS } from '../ladder';
import { stableId } from '../case-keys';
import type { CaseDoc, CaseState, HistoryEntry, Tally } from '../types';
import { isRung, nextLook, stepStartedAt } from './plan';
import { effectDetails, perform, type Effect } from './effects';
import type { Claim } from './decide';

/** What the performed steps of a batch leave to write. */
export interface Records {
  results: AnyBulkWriteOperation<CaseDoc>[];
  interactions: Array<Partial<Interaction>>;
  audits: AuditInput[];
  states: Map<string, CaseState>;
}

/** Performs one claimed step and adds its record; a failure is recorded too, never thrown. */
export async function performAndRecord(
  ctx: DunningContext,
  claimed: Claim,
  owner: string,
  now: Date,
  tally: Tally,
  records: Records,
): Promise<void> {
  const { c, customer, balance, plan } = claimed;
  const id = c._id.toHexString();
  try {
    const started = performance.now();
    const effect = await perform(ctx, c, customer, balance, plan, now);
    tally.took(`effect:${plan.action}`, started);
    tally.count(effect.reconciled ? `${plan.action}_reconciled` : plan.action);
    recordDone(ctx, claimed, effect, owner, now, records);
  } catch (err) {
    tally.count(`${plan.action}_failed`);
    ctx.logger.warn({ err, caseId: id, step: plan.key }, 'dunning step failed; it will be tried again');
    // A refusal we are sure of frees the step for the next scan; anything else waits for the lease.
    if (isDefiniteRefusal(err)) {
      records.results.push({
        updateOne: {
          filter: { _id: c._id, 'pending.owner': owner },
          update: {
            $unset: { pending: 1 },
            $set: { nextActionAt: new Date(now.getTime() + DAY_MS) },
            $push: { history: { at: now, action: `${plan.action}_failed`, outcome: errorText(err) } },
          },
        },
      });
    }
    records.audits.push({
      action: `dunning.${plan.action}_failed`,
      entity: 'dunning_case',
      entityId: id,
      details: { error: errorText(err) },
    });
    records.states.set(id, { status: c.status, stage: c.stage });
  }
}

function recordDone(
  ctx: DunningContext,
  { c, balance, plan }: Claim,
  effect: Effect,
  owner: string,
  now: Date,
  records: Records,
): void {
  const id = c._id.toHexString();
  const entry: HistoryEntry = {
    at: now,
    action: plan.action,
    stage: plan.action,
    details: effectDetails(plan, effect, balance),
  };
  const round = plan.action === 'call' ? { callRounds: plan.round } : {};
  const next = nextLook(ctx.options, c, plan, balance, now);
  records.results.push({
    updateOne: {
      filter: { _id: c._id, 'pending.owner': owner },
      update: {
        $addToSet: { stepsDone: plan.key },
        $set: {
          stage: plan.action,
          // The ladder's spacing counts from when a rung was taken, not from later rounds
          // of its calls (daily calls that find nobody must not hold off the next rung).
          ...(isRung(plan) ? { lastStepAt: stepStartedAt(c, plan, now) } : {}),
          ...round,
          ...(effect.letterPath ? { letterPath: effect.letterPath } : {}),
          ...(effect.legalCaseId ? { legalCaseId: effect.legalCaseId, legalSummaryPath: effect.legalSummaryPath } : {}),
          ...(next ? { nextActionAt: next } : {}),
        },
        $unset: { pending: 1, ...(next ? {} : { nextActionAt: 1 }) },
        $push: {
          history: entry,
          ...(effect.messageSid
            ? {
                messages: {
                  sid: effect.messageSid,
                  step: plan.key,
                  to: plan.phone ?? '',
                  body: plan.body ?? '',
                  status: effect.messageStatus ?? 'queued',
                  sentAt: now,
                },
              }
            : {}),
        },
      },
    },
  });
  records.audits.push({
    action: `dunning.${plan.action}`,
    entity: 'dunning_case',
    entityId: id,
    details: {
      ...(entry.details as object),
      customerId: c.customerId.toHexString(),
      ...(effect.reconciled ? { reconciled: true } : {}),
    },
  });
  if (plan.action === 'sms' || plan.action === 'letter') {
    records.interactions.push({
      _id: stableId(`${id}:${plan.key}:interaction`),
      customerId: c.customerId,
      type: plan.action,
      direction: 'outbound',
      at: now,
      summary:
        plan.action === 'sms'
          ? `Payment reminder (SMS to ${plan.phone}): ${formatMoney(balance.amount, c.currency)} overdue.`
          : `Payment reminder letter: ${formatMoney(balance.amount, c.currency)} overdue.`,
    });
  }
  records.states.set(id, { status: 'open', stage: plan.action });
}

/** Writes a batch's records: the interactions (a repeated one is already there), the case updates, the audit. */
export async function writeRecords(ctx: DunningContext, records: Records): Promise<void> {
  if (records.interactions.length) {
    await ctx.models.Interaction.insertMany(records.interactions, { ordered: false }).catch((err: unknown) => {
      if (!(err instanceof mongo.MongoBulkWriteError)) throw err;
    });
  }
  if (records.results.length) await ctx.models.DunningCase.bulkWrite(records.results, { ordered: false });
  await auditMany(ctx, records.audits);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message.slice(0, 300) : String(err).slice(0, 300);
}

/** Twilio answered with a 4xx: the message was not accepted and will not be sent. */
function isDefiniteRefusal(err: unknown): boolean {
  if (typeof err !== 'object' || err === null || !('status' in err)) return false;
  const status = (err as { status: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 500;
}
