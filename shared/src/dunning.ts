import { z } from 'zod';
import { objectIdOf } from './ids';

/** The steps of the dunning ladder, in the order they may happen. */
export const dunningActionSchema = z.enum(['sms', 'letter', 'call', 'legal']);
export type DunningAction = z.infer<typeof dunningActionSchema>;

export const dunningStageSchema = z.enum(['none', 'sms', 'letter', 'call', 'legal']);
export type DunningStage = z.infer<typeof dunningStageSchema>;

export const dunningStatusSchema = z.enum(['open', 'paused', 'closed']);
export type DunningStatus = z.infer<typeof dunningStatusSchema>;

const isoDate = z.iso.datetime({ offset: true, error: 'must be an ISO date-time' });

/** What the agent learned on a collections call (`POST /api/dunning/cases/:id/outcome`). */
export const dunningOutcomeSchema = z.discriminatedUnion('outcome', [
  z.object({
    outcome: z.literal('promise_to_pay'),
    /** The day the customer promised to pay by. */
    date: isoDate,
    amount: z.number().positive({ error: 'must be more than 0' }).max(1e9),
    note: z.string().max(1000).optional(),
  }),
  z.object({
    outcome: z.literal('dispute'),
    reason: z.string().trim().min(1, { error: 'say what is disputed' }).max(1000),
  }),
  z.object({
    outcome: z.literal('wrong_number'),
    /** E.164; the number dialed when omitted. */
    phone: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, { error: 'must be an E.164 number' })
      .optional(),
    note: z.string().max(1000).optional(),
  }),
  z.object({ outcome: z.literal('paid'), note: z.string().max(1000).optional() }),
]);
export type DunningOutcome = z.infer<typeof dunningOutcomeSchema>;

export const dunningCaseQuerySchema = z.object({
  status: dunningStatusSchema.optional(),
  stage: dunningStageSchema.optional(),
  customerId: objectIdOf('a customer id').optional(),
  /** Page: cases opened before this moment (the `openedAt` of the last case seen). */
  before: isoDate.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** A dunning case as the API shows it. */
export const dunningCaseViewSchema = z.object({
  id: z.string(),
  customerId: z.string(),
  customerName: z.string().optional(),
  currency: z.string(),
  status: dunningStatusSchema,
  stage: dunningStageSchema,
  amount: z.number(),
  oldestDueAt: z.string(),
  openedAt: z.string(),
  closedAt: z.string().optional(),
  closedReason: z.string().optional(),
  pausedReason: z.string().optional(),
  nextActionAt: z.string().optional(),
  promiseToPay: z.object({ date: z.string(), amount: z.number() }).optional(),
  invoices: z
    .array(z.object({ id: z.string(), number: z.string(), amount: z.number(), open: z.number(), dueAt: z.string() }))
    .optional(),
  letterUrl: z.string().optional(),
  legalSummaryUrl: z.string().optional(),
  legalCaseId: z.string().optional(),
  callAttempts: z.number(),
  history: z.array(
    z.object({ at: z.string(), action: z.string(), stage: z.string().optional(), outcome: z.string().optional() }),
  ),
});
export type DunningCaseView = z.infer<typeof dunningCaseViewSchema>;

/** `GET /api/dunning/cases` answers a page of cases, newest opened first; `hasMore` when an older page follows (`before`). */
export const dunningCaseListSchema = z.object({ cases: z.array(dunningCaseViewSchema), hasMore: z.boolean() });
export type DunningCaseList = z.infer<typeof dunningCaseListSchema>;

/** Dunning progress on the supervisors' figures. */
export const dunningStatsSchema = z.object({
  /** Live cases (open or paused) by stage, as of the last scan. */
  byStage: z.record(dunningStageSchema, z.number()),
  open: z.number(),
  paused: z.number(),
  promisesKept: z.number(),
  promisesBroken: z.number(),
  recovered: z.array(z.object({ currency: z.string(), amount: z.number() })),
  lastScanAt: z.string().nullable(),
});
export type DunningStats = z.infer<typeof dunningStatsSchema>;
