// Advancing a batch of cases by one step each: read → plan and write what needs no effect → claim → perform → record.
import type { Types } from 'mongoose';
import type { Slots } from '../../lib/concurrency';
import type { DunningContext } from '../context';
import type { CaseState, Tally } from '../types';
import { load } from './load';
import { decide, writeDecisions } from './decide';
import { claim } from './claim';
import { performAndRecord, writeRecords, type Records } from './record';

/** Bounds on side effects in flight: messages and callbacks; letters and legal summaries. */
export interface EffectSlots {
  contact: Slots;
  document: Slots;
}

/**
 * Advances a batch of cases by one step each: plans from fresh reads, writes the plans that
 * need no side effect in one bulk write, claims the others in one bulk write, performs the
 * claimed effects (a few at a time) and records them in one more bulk write.
 */
export async function advance(
  ctx: DunningContext,
  ids: Types.ObjectId[],
  now: Date,
  tally: Tally,
  effects: EffectSlots,
): Promise<{ again: Types.ObjectId[]; states: Map<string, CaseState> }> {
  let since = performance.now();
  const batch = await load(ctx, ids, now);
  tally.took('read', since);
  const decisions = decide(ctx.options, batch, now, tally.count);
  since = performance.now();
  await writeDecisions(ctx, decisions, now, tally.count);
  tally.took('decisions', since);

  since = performance.now();
  const { owner, won } = await claim(ctx, decisions.claims, now);
  tally.took('claims', since);

  since = performance.now();
  const records: Records = { results: [], interactions: [], audits: decisions.audits, states: decisions.states };
  await Promise.all(
    decisions.claims
      .filter((x) => won.has(x.c._id.toHexString()))
      .map((x) =>
        effects[x.plan.action === 'letter' || x.plan.action === 'legal' ? 'document' : 'contact'].run(() =>
          performAndRecord(ctx, x, owner, now, tally, records),
        ),
      ),
  );
  tally.took('effects', since);
  since = performance.now();
  await writeRecords(ctx, records);
  tally.took('records', since);
  return { again: decisions.again, states: decisions.states };
}
