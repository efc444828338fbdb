import { Schema, type Types } from 'mongoose';

export interface OrderLine {
  sku: string;
  name: string;
  quantity: number;
  unitPrice: number;
}

export interface Order {
  _id: Types.ObjectId;
  customerId: Types.ObjectId;
  number: string;
  placedAt: Date;
  currency: string;
  lines: OrderLine[];
  total: number;
  status: 'placed' | 'shipped' | 'delivered' | 'cancelled' | 'returned';
}

export const orderSchema = new Schema<Order>(
  {
    customerId: { type: Schema.Types.ObjectId, ref: 'Customer', required: true },
    number: { type: String, required: true },
    placedAt: { type: Date, required: true },
    currency: { type: String, required: true },
    lines: {
      type: [new Schema<OrderLine>({ sku: String, name: String, quantity: Number, unitPrice: Number }, { _id: false })],
      validate: (v: OrderLine[]) => v.length > 0,
    },
    total: { type: Number, required: true },
    status: { type: String, enum: ['placed', 'shipped', 'delivered', 'cancelled', 'returned'], default: 'delivered' },
  },
  { collection: 'orders' },
);
// Pop: recent purchases of a customer. Suggestions job: orders in time order.
orderSchema.index({ customerId: 1, placedAt: -1 });
orderSchema.index({ placedAt: 1 });
orderSchema.index({ number: 1 }, { unique: true });
