// Delivery reports of reminders (Twilio's status callback), recorded on the case that sent them.
import { auditMany, type DunningContext } from './context';

/** Statuses after which a message's fate is known; a late report of an earlier one does not undo them. */
const FINAL_SMS = new Set(['delivered', 'undelivered', 'failed', 'read', 'canceled']);

/** A delivery report of a reminder (Twilio's status callback). */
export async function onSmsStatus(
  ctx: DunningContext,
  status: { messageSid: string; status: string; errorCode?: string; at: Date },
): Promise<void> {
  const { models } = ctx;
  const c = await models.DunningCase.findOne({ 'messages.sid': status.messageSid }, { messages: 1 }).lean();
  if (!c) return;
  const current = c.messages.find((m) => m.sid === status.messageSid);
  const keep = current && FINAL_SMS.has(current.status) && !FINAL_SMS.has(status.status);
  // A report is keyed by message SID and status: the same report again (Twilio retries, a replay) matches nothing.
  const recorded = await models.DunningCase.updateOne(
    { _id: c._id, messages: { $elemMatch: { sid: status.messageSid, reports: { $ne: status.status } } } },
    {
      ...(keep
        ? {}
        : {
            $set: {
              'messages.$.status': status.status,
              ...(status.errorCode ? { 'messages.$.errorCode': status.errorCode } : {}),
            },
          }),
      $addToSet: { 'messages.$.reports': status.status },
      $push: {
        history: {
          at: status.at,
          action: 'sms_status',
          outcome: status.status,
          details: { messageSid: status.messageSid, ...(status.errorCode ? { errorCode: status.errorCode } : {}) },
        },
      },
    },
  );
  if (recorded.modifiedCount === 0) return;
  await auditMany(ctx, [
    { action: 'dunning.sms_status', entity: 'dunning_case', entityId: c._id.toHexString(), details: status },
  ]);
}
