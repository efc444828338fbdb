// Claiming steps before their side effects: one conditional update per case that only one runner can win.
import { randomUUID } from 'node:crypto';
import type { DunningContext } from '../context';
import { noLiveClaim } from '../case-keys';
import { stepStartedAt } from './plan';
import type { Claim } from './decide';

/** Claims the steps (one bulk write) and reads back which ones this runner won; `owner` marks them. */
export async function claim(
  ctx: DunningContext,
  claims: Claim[],
  now: Date,
): Promise<{ owner: string; won: Set<string> }> {
  const { models } = ctx;
  const token = randomUUID();
  const owner = `${ctx.owner}/${token}`;
  const leaseUntil = new Date(now.getTime() + ctx.options.stepLeaseMs);
  if (claims.length) {
    await models.DunningCase.bulkWrite(
      claims.map(({ c, plan }) => ({
        updateOne: {
          filter: {
            _id: c._id,
            status: 'open',
            stepsDone: { $ne: plan.key },
            ...noLiveClaim(now),
          },
          update: {
            $set: {
              pending: {
                key: plan.key,
                owner,
                startedAt: stepStartedAt(c, plan, now),
                leaseUntil,
                ...(plan.phone ? { to: plan.phone } : {}),
                ...(plan.body ? { body: plan.body } : {}),
              },
            },
          },
        },
      })),
      { ordered: false },
    );
  }
  const won = claims.length
    ? new Set(
        (
          await models.DunningCase.find(
            { _id: { $in: claims.map((x) => x.c._id) }, 'pending.owner': owner },
            { _id: 1 },
          ).lean()
        ).map((c) => c._id.toHexString()),
      )
    : new Set<string>();
  return { owner, won };
}
