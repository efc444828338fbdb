// What a database written by an earlier version needs before this version's indexes can be built.
// Each step runs only while its index is missing (once per database), so it may read a whole
// collection: it is not on any request's path.
import type { Types } from 'mongoose';
import type { Models } from './models';

const ONE_ENTRY_PER_CALL = 'one_entry_per_call';

/**
 * Interactions: one "call" entry per call (the unique `one_entry_per_call` index). Earlier
 * versions could write a call's entry twice when Twilio sent its webhook again; building the index
 * over those fails with a duplicate key, and with it the start. The entry the call points at (or
 * else the first written) is kept, the others removed. Returns how many were removed.
 */
export async function dropDuplicateCallEntries(models: Models): Promise<number> {
  const indexes = await models.Interaction.collection.indexes().catch(() => []);
  if (indexes.some((i) => i.name === ONE_ENTRY_PER_CALL)) return 0;
  const groups = models.Interaction.aggregate<{ _id: string; ids: Types.ObjectId[] }>([
    { $match: { type: 'call', callId: { $type: 'string' } } },
    { $group: { _id: '$callId', ids: { $push: '$_id' }, n: { $sum: 1 } } },
    { $match: { n: { $gt: 1 } } },
  ])
    .allowDiskUse(true)
    .cursor();
  let removed = 0;
  for await (const group of groups) {
    const call = await models.Call.findById(group._id, { interactionId: 1 }).lean();
    const ids = [...group.ids].sort((a, b) => a.toHexString().localeCompare(b.toHexString()));
    const keep = ids.find((id) => call?.interactionId?.equals(id)) ?? ids[0];
    const extra = ids.filter((id) => !id.equals(keep!));
    const res = await models.Interaction.deleteMany({ _id: { $in: extra } });
    removed += res.deletedCount;
  }
  return removed;
}
