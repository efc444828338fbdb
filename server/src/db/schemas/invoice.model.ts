import { Schema, type Types } from 'mongoose';

export interface Invoice {
  _id: Types.ObjectId;
  customerId: Types.ObjectId;
  orderId?: Types.ObjectId;
  number: string;
  currency: string;
  amount: number;
  /** Sum of payments applied; the invoice is settled when paid ≥ amount. */
  paid: number;
  issuedAt: Date;
  dueAt: Date;
  status: 'open' | 'paid' | 'void';
  /** Reference the customer quotes when paying (bank transfer title). */
  paymentReference: string;
}

export const invoiceSchema = new Schema<Invoice>(
  {
    customerId: { type: Schema.Types.ObjectId, ref: 'Customer', required: true },
    orderId: { type: Schema.Types.ObjectId, ref: 'Order' },
    number: { type: String, required: true },
    currency: { type: String, required: true },
    amount: { type: Number, required: true, min: 0 },
    paid: { type: Number, default: 0, min: 0 },
    issuedAt: { type: Date, required: true },
    dueAt: { type: Date, required: true },
    status: { type: String, enum: ['open', 'paid', 'void'], default: 'open' },
    paymentReference: { type: String, required: true },
  },
  { collection: 'invoices' },
);
// Pop balance: a customer's open invoices. Dunning scan: open invoices by due date.
invoiceSchema.index({ customerId: 1, status: 1, dueAt: 1 });
invoiceSchema.index({ status: 1, dueAt: 1 });
invoiceSchema.index({ number: 1 }, { unique: true });
