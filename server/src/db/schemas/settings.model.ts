import { Schema } from 'mongoose';

/** Company-wide settings (one document, _id 'company'). */
export interface Settings {
  _id: string;
  defaultCountry: string;
  /** Agents see only the customers they own. */
  restrictToPortfolio: boolean;
  /** Set when demo data was loaded, so it is loaded once. */
  demoSeededAt?: Date;
}

export const settingsSchema = new Schema<Settings>(
  {
    _id: { type: String, required: true },
    defaultCountry: { type: String, default: 'PL' },
    restrictToPortfolio: { type: Boolean, default: false },
    demoSeededAt: Date,
  },
  { collection: 'settings' },
);
