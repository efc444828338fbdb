import { Schema, type Types } from 'mongoose';

export interface Payment {
  _id: Types.ObjectId;
  customerId: Types.ObjectId;
  invoiceId?: Types.ObjectId;
  amount: number;
  currency: string;
  paidAt: Date;
  method: 'transfer' | 'card' | 'cash' | 'other';
  reference: string;
}

export const paymentSchema = new Schema<Payment>(
  {
    customerId: { type: Schema.Types.ObjectId, ref: 'Customer', required: true },
    invoiceId: { type: Schema.Types.ObjectId, ref: 'Invoice' },
    amount: { type: Number, required: true, min: 0 },
    currency: { type: String, required: true },
    paidAt: { type: Date, required: true },
    method: { type: String, enum: ['transfer', 'card', 'cash', 'other'], default: 'transfer' },
    reference: { type: String, required: true },
  },
  { collection: 'payments' },
);
paymentSchema.index({ customerId: 1, paidAt: -1 });
paymentSchema.index({ invoiceId: 1 });
