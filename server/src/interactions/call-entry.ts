// A provider call's one entry in the customer's timeline. The provider's call id identifies it:
// the entry's `_id` is made from that id, and a unique index on calls' `callId` backs it up, so a
// webhook delivered again (Twilio retries, a replay) finds the entry there instead of adding one.
import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import type { Models } from '../db/models';
import type { Interaction } from '../db/schemas/interaction.model';
import { isDuplicateKey } from '../errors';

/** The `_id` of the timeline entry of call `callId` (the same for every delivery of its webhooks). */
export function callEntryId(callId: string): Types.ObjectId {
  return new Types.ObjectId(createHash('sha1').update(`call-entry:${callId}`).digest().subarray(0, 12));
}

/** Writes the entry of a call unless it is there already; true when written now. */
export async function recordCallEntry(
  models: Models,
  entry: Omit<Interaction, '_id' | 'type' | 'callId'> & { callId: string },
): Promise<boolean> {
  try {
    await models.Interaction.create({ ...entry, _id: callEntryId(entry.callId), type: 'call' });
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false; // the same call again: one entry
    throw err;
  }
}
