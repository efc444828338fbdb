// Dunning progress for supervisors: one summary document, counters added as things happen, stages stored after each scan.
import type { mongo } from 'mongoose';
import type { DunningStats } from '@ringside/shared';
import type { Logger } from '../logger';
import { upsertWrite } from '../db/upsert';
import { round2 } from './ladder';
import { STAGES } from './case-keys';
import type { CaseState } from './types';

export class DunningFigures {
  private cache: { value: DunningStats; until: number } | undefined;

  constructor(
    private readonly stats: mongo.Collection<{ _id: string } & mongo.Document>,
    private readonly logger: Logger,
  ) {}

  /** Adds what came in, per currency, with one update. */
  async recovered(amounts: Record<string, number>): Promise<void> {
    const inc = Object.fromEntries(
      Object.entries(amounts).map(([currency, amount]) => [`recovered.${currency}`, round2(amount)]),
    );
    if (!Object.keys(inc).length) return;
    await upsertWrite(() => this.stats.updateOne({ _id: 'summary' }, { $inc: inc }, { upsert: true })).catch(
      (err: unknown) => this.logger.warn({ err }, 'dunning figures not updated'),
    );
    this.cache = undefined;
  }

  async bump(counts: Partial<Record<'promisesKept' | 'promisesBroken', number>>): Promise<void> {
    if (!Object.keys(counts).length) return;
    await upsertWrite(() => this.stats.updateOne({ _id: 'summary' }, { $inc: counts }, { upsert: true })).catch(
      (err: unknown) => this.logger.warn({ err }, 'dunning figures not updated'),
    );
    this.cache = undefined;
  }

  /** The live cases by stage and status, as the scan that just ended leaves them. */
  async store(live: Map<string, CaseState>, now: Date): Promise<void> {
    const byStage: Record<string, number> = Object.fromEntries(STAGES.map((s) => [s, 0]));
    let open = 0;
    let paused = 0;
    for (const { status, stage } of live.values()) {
      byStage[stage] = (byStage[stage] ?? 0) + 1;
      if (status === 'paused') paused += 1;
      else open += 1;
    }
    await upsertWrite(() =>
      this.stats.updateOne({ _id: 'summary' }, { $set: { byStage, open, paused, lastScanAt: now } }, { upsert: true }),
    );
    this.cache = undefined;
  }

  /** Dunning progress for supervisors (as of the last scan, counters live); cached for 5 s. */
  async read(): Promise<DunningStats> {
    if (this.cache && this.cache.until > Date.now()) return this.cache.value;
    const doc = await this.stats.findOne({ _id: 'summary' });
    const byStage = Object.fromEntries(
      STAGES.map((s) => [s, Number((doc?.byStage as Record<string, number> | undefined)?.[s] ?? 0)]),
    ) as DunningStats['byStage'];
    const recovered = Object.entries((doc?.recovered as Record<string, number> | undefined) ?? {}).map(
      ([currency, amount]) => ({ currency, amount: round2(amount) }),
    );
    const value: DunningStats = {
      byStage,
      open: Number(doc?.open ?? 0),
      paused: Number(doc?.paused ?? 0),
      promisesKept: Number(doc?.promisesKept ?? 0),
      promisesBroken: Number(doc?.promisesBroken ?? 0),
      recovered,
      lastScanAt: doc?.lastScanAt instanceof Date ? doc.lastScanAt.toISOString() : null,
    };
    this.cache = { value, until: Date.now() + 5000 };
    return value;
  }
}
