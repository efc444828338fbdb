import { Schema, type Types } from 'mongoose';

export interface Product {
  _id: Types.ObjectId;
  sku: string;
  name: string;
  category: string;
  price: number;
  currency: string;
  /** Consumables and spare parts: how often they are typically bought again (days). */
  replenishDays?: number;
  active: boolean;
}

export const productSchema = new Schema<Product>(
  {
    sku: { type: String, required: true, trim: true },
    name: { type: String, required: true },
    category: { type: String, required: true },
    price: { type: Number, required: true, min: 0 },
    currency: { type: String, required: true },
    replenishDays: Number,
    active: { type: Boolean, default: true },
  },
  { collection: 'products' },
);
productSchema.index({ sku: 1 }, { unique: true });
productSchema.index({ category: 1 });
