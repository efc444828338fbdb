import { z } from 'zod';

const money = z.number();
const isoDate = z.string();

export const popCustomerSchema = z.object({
  id: z.string(),
  kind: z.enum(['person', 'company', 'lead']),
  name: z.string(),
  email: z.string().optional(),
  phones: z.array(z.object({ raw: z.string(), e164: z.string(), type: z.string() })),
  contacts: z.array(
    z.object({
      name: z.string(),
      role: z.string().optional(),
      email: z.string().optional(),
      phones: z.array(z.object({ raw: z.string(), e164: z.string() })),
    }),
  ),
  labels: z.array(z.string()),
  owner: z.object({ id: z.string(), name: z.string() }).optional(),
  timeZone: z.string(),
  /** Only identity is shown when the agent may not see this customer's details. */
  restricted: z.boolean().optional(),
});
export type PopCustomer = z.infer<typeof popCustomerSchema>;

export const screenPopSchema = z.object({
  callId: z.string(),
  receivedAt: isoDate,
  caller: z.object({ raw: z.string(), e164: z.string().nullable() }),
  match: z.enum(['unique', 'multiple', 'none']),
  customer: popCustomerSchema.optional(),
  candidates: z.array(z.object({ id: z.string(), name: z.string(), labels: z.array(z.string()) })).optional(),
  balance: z.object({
    currency: z.string(),
    outstanding: money,
    overdue: money,
    oldestOverdueDays: z.number().int().nonnegative(),
  }),
  creditTerms: z.object({ limit: money, paymentTermsDays: z.number().int().nonnegative(), available: money }),
  recentPurchases: z.array(
    z.object({
      orderId: z.string(),
      placedAt: isoDate,
      sku: z.string(),
      name: z.string(),
      quantity: z.number(),
      amount: money,
    }),
  ),
  suggestions: z.array(z.object({ sku: z.string(), name: z.string(), reason: z.string(), score: z.number() })),
  openCases: z.array(
    z.object({
      id: z.string(),
      number: z.string(),
      subject: z.string(),
      status: z.string(),
      priority: z.string(),
      openedAt: isoDate,
    }),
  ),
  lastInteractions: z.array(
    z.object({
      id: z.string(),
      type: z.string(),
      at: isoDate,
      summary: z.string(),
      agentName: z.string().optional(),
      disposition: z.string().optional(),
    }),
  ),
  dunning: z
    .object({
      id: z.string(),
      stage: z.string(),
      status: z.string(),
      amount: money,
      currency: z.string(),
      lastAction: z.object({ type: z.string(), at: isoDate }).optional(),
      promiseToPay: z.object({ date: isoDate, amount: money }).optional(),
      /** Why we are calling: the overdue invoices of the case… */
      invoices: z.array(z.object({ number: z.string(), amount: money, open: money, dueAt: isoDate })).optional(),
      /** …and the last reminder sent (SMS or letter). */
      lastReminder: z.object({ type: z.string(), at: isoDate, status: z.string().optional() }).optional(),
      pausedReason: z.string().optional(),
    })
    .optional(),
});
export type ScreenPop = z.infer<typeof screenPopSchema>;
