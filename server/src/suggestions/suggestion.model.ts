import { Schema, type Types } from 'mongoose';

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
