import { Schema, type Types } from 'mongoose';

export interface Phone {
  /** As written by the customer or the clerk: "0048 601-234-567". */
  raw: string;
  /** E.164: "+48601234567". */
  e164: string;
  type: 'mobile' | 'landline' | 'work' | 'switchboard' | 'other';
  /** Set when a call found the number does not belong to this customer. */
  wrongNumber?: boolean;
}

export interface Contact {
  name: string;
  role?: string;
  email?: string;
  phones: Phone[];
}

export interface Customer {
  _id: Types.ObjectId;
  kind: 'person' | 'company' | 'lead';
  name: string;
  /** Folded search keys (lower case, no diacritics, each word onward, Greek also in Latin). */
  nameKeys: string[];
  email?: string;
  emailKey?: string;
  phones: Phone[];
  contacts: Contact[];
  /** Every E.164 number of the customer and its contacts: the phone index. */
  phoneKeys: string[];
  labels: string[];
  ownerId?: Types.ObjectId;
  timeZone: string;
  country: string;
  language?: string;
  address?: { street?: string; city?: string; postalCode?: string; country?: string };
  creditTerms: { limit: number; paymentTermsDays: number; currency: string };
  flags: { doNotCall: boolean; smsConsent: boolean; doNotSms: boolean };
  createdAt: Date;
  updatedAt: Date;
}

const phoneSchema = new Schema<Phone>(
  {
    raw: { type: String, required: true },
    e164: { type: String, required: true, match: /^\+[1-9]\d{6,14}$/ },
    type: { type: String, enum: ['mobile', 'landline', 'work', 'switchboard', 'other'], default: 'mobile' },
    wrongNumber: Boolean,
  },
  { _id: false },
);

export const customerSchema = new Schema<Customer>(
  {
    kind: { type: String, enum: ['person', 'company', 'lead'], required: true },
    name: { type: String, required: true, trim: true },
    nameKeys: { type: [String], default: [] },
    email: { type: String, trim: true },
    emailKey: { type: String, lowercase: true, trim: true },
    phones: { type: [phoneSchema], default: [] },
    contacts: {
      type: [
        new Schema<Contact>(
          { name: { type: String, required: true }, role: String, email: String, phones: [phoneSchema] },
          { _id: false },
        ),
      ],
      default: [],
    },
    phoneKeys: { type: [String], default: [] },
    labels: { type: [String], default: [] },
    ownerId: { type: Schema.Types.ObjectId, ref: 'User' },
    timeZone: { type: String, required: true },
    country: { type: String, required: true },
    language: String,
    address: { street: String, city: String, postalCode: String, country: String },
    creditTerms: {
      limit: { type: Number, default: 0 },
      paymentTermsDays: { type: Number, default: 14 },
      currency: { type: String, default: 'EUR' },
    },
    flags: {
      doNotCall: { type: Boolean, default: false },
      smsConsent: { type: Boolean, default: true },
      doNotSms: { type: Boolean, default: false },
    },
  },
  { timestamps: true, collection: 'customers' },
);

// The heart of the system: caller → customer in one indexed equality lookup.
customerSchema.index({ phoneKeys: 1 });
customerSchema.index({ nameKeys: 1 });
customerSchema.index({ emailKey: 1 }, { sparse: true });
// One array per compound index: MongoDB refuses to index two arrays together.
customerSchema.index({ labels: 1 });
customerSchema.index({ ownerId: 1, nameKeys: 1 });
// Search pages (customers/search/search.ts): a frequent name key or a label read newest first in
// windows of createdAt, the ties of one createdAt by _id; the newest customers as a sample.
customerSchema.index({ nameKeys: 1, createdAt: 1, _id: 1 });
customerSchema.index({ labels: 1, createdAt: 1, _id: 1 });
customerSchema.index({ ownerId: 1, labels: 1, createdAt: 1, _id: 1 });
customerSchema.index({ createdAt: 1 });
