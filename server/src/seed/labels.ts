import type { Activity } from './activity';
import { DAY_MS, type SeedContext } from './context';
import type { CustomerDraft, CustomerOutcome } from './customers';
import type { History } from './history';

/** Lifetime spend (EUR) from which a customer is a vip. */
const VIP_SPEND_EUR = { person: 1_300, company: 5_500 } as const;

/** Labels follow from what happened: spend, age of the account, payment record. */
export function customerOutcome(
  ctx: SeedContext,
  draft: CustomerDraft,
  history: History,
  activity: Activity,
): CustomerOutcome {
  const labels: string[] = [];
  if (draft.kind === 'company') labels.push('b2b');
  if (draft.wholesale) labels.push('wholesale');
  if (history.spendEur >= VIP_SPEND_EUR[draft.kind]) labels.push('vip');
  if (ctx.now - draft.since <= 90 * DAY_MS) labels.push('new');
  if (draft.behaviour === 'bad' && (history.overdue.length > 0 || history.paidLate.length > 0))
    labels.push('late-payer');
  if (draft.newsletter) labels.push('newsletter');
  const updatedAt = Math.min(ctx.now, Math.max(draft.since, history.lastOrderAt ?? 0, activity.lastAt ?? 0));
  return { labels, updatedAt: new Date(updatedAt) };
}
