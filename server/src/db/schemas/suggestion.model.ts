import { Schema, type Connection, type Model, type Types } from 'mongoose';

/** A customer's top product suggestions, precomputed by the suggestions job; read in one query. */
export interface CustomerSuggestions {
  /** The customer's id. */
  _id: Types.ObjectId;
  items: Array<{ sku: string; name: string; reason: string; score: number }>;
  computedAt: Date;
}

export const customerSuggestionsSchema = new Schema<CustomerSuggestions>(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    items: {
      type: [new Schema({ sku: String, name: String, reason: String, score: Number }, { _id: false })],
      default: [],
    },
    computedAt: { type: Date, required: true },
  },
  { collection: 'customersuggestions' },
);
// The full run removes what it did not rewrite (customers who no longer get a suggestion).
customerSuggestionsSchema.index({ computedAt: 1 });

/** A learned rule "customers who bought the antecedent go on to buy `sku`". */
export interface SuggestionRule {
  /** The consequent. */
  sku: string;
  name: string;
  /** Customers who bought the antecedent and then (same order or later) `sku`. */
  count: number;
  /** count / customers. */
  support: number;
  /** count / buyers of the antecedent. */
  confidence: number;
  /** confidence / (buyers of `sku` / customers): how much likelier than average. */
  lift: number;
  /** Median days from buying the antecedent to the follow-up purchase of `sku`. */
  medianDays?: number;
  /** Interquartile range of those days: small when the follow-up comes at a typical time. */
  iqrDays?: number;
  /** Purchase pairs the median was taken over. */
  samples: number;
}

/**
 * The learned model, one document per product (the antecedent): its rules, and its own
 * replenishment cycle. The per-customer recompute reads only the documents of what the
 * customer bought (`_id: {$in: skus}`), so it never relearns.
 */
export interface SuggestionRules {
  /** The antecedent's SKU. */
  _id: string;
  name: string;
  /** Customers who bought it. */
  buyers: number;
  /** Customers with at least one purchase, when this was learned. */
  customers: number;
  /** Median days between two purchases of this product (learned, else the catalogue's replenishDays). */
  cycleDays?: number;
  /** Best rules first (by lift × confidence). */
  rules: SuggestionRule[];
  computedAt: Date;
}

export const suggestionRulesSchema = new Schema<SuggestionRules>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    buyers: { type: Number, required: true },
    customers: { type: Number, required: true },
    cycleDays: Number,
    rules: {
      type: [
        new Schema<SuggestionRule>(
          {
            sku: String,
            name: String,
            count: Number,
            support: Number,
            confidence: Number,
            lift: Number,
            medianDays: Number,
            iqrDays: Number,
            samples: Number,
          },
          { _id: false },
        ),
      ],
      default: [],
    },
    computedAt: { type: Date, required: true },
  },
  { collection: 'suggestionrules' },
);

/** The rules model on a connection (registered once per connection). */
export function suggestionRulesModel(conn: Connection): Model<SuggestionRules> {
  const existing = conn.models.SuggestionRules as Model<SuggestionRules> | undefined;
  return existing ?? conn.model<SuggestionRules>('SuggestionRules', suggestionRulesSchema);
}
