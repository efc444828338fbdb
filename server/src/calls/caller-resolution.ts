import type { Types } from 'mongoose';
import { normalizePhone, type CountryCode } from '@ringside/shared';
import type { Models } from '../db/models';
import { upsertWrite } from '../db/upsert';
import type { Customer } from '../db/schemas/customer.model';

export type CustomerDoc = Omit<Customer, 'nameKeys'>;

export interface CallerResolution {
  raw: string;
  e164: string | null;
  match: 'unique' | 'multiple' | 'none';
  /** Every customer with this number (all of them when several share it). */
  customers: CustomerDoc[];
  /** The customer the pop is about: the only match, or the one an agent chose before for this number. */
  customer?: CustomerDoc;
}

/** Customers with one number: a family landline or a switchboard can be shared by many. */
const MAX_CANDIDATES = 25;

/** Caller → customers: normalize to E.164, then one indexed equality query on `phoneKeys` (and the remembered choice when several share it). */
export async function resolveCaller(models: Models, raw: string, defaultCountry: string): Promise<CallerResolution> {
  const normalized = normalizePhone(raw, defaultCountry as CountryCode);
  if (!normalized) return { raw, e164: null, match: 'none', customers: [] };
  const e164 = normalized.e164;
  const customers = await models.Customer.find({ phoneKeys: e164 }, { nameKeys: 0 })
    .limit(MAX_CANDIDATES)
    .lean<CustomerDoc[]>();
  if (customers.length === 0) return { raw, e164, match: 'none', customers };
  if (customers.length === 1) return { raw, e164, match: 'unique', customers, customer: customers[0] };
  // A shared number (the rare case): the customer an agent chose for it before, read only then.
  const choice = await models.CallerChoice.findById(e164).lean();
  const chosen = choice ? customers.find((c) => c._id.equals(choice.customerId)) : undefined;
  return { raw, e164, match: 'multiple', customers, ...(chosen ? { customer: chosen } : {}) };
}

/** Remember the agent's choice among several customers sharing a number. */
export async function rememberChoice(
  models: Models,
  e164: string,
  customerId: Types.ObjectId,
  agentId: Types.ObjectId,
  at: Date,
) {
  await upsertWrite(() =>
    models.CallerChoice.updateOne({ _id: e164 }, { $set: { customerId, chosenBy: agentId, at } }, { upsert: true }),
  );
}
