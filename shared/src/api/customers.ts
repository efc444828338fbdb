import { z } from 'zod';

// Answers of `/api/customers…`. The server's views `satisfies` these types where it builds them;
// the console parses with the same schemas (unknown extra fields are dropped).

/** A customer in lists and search results. */
export const customerSummarySchema = z.object({
  id: z.string(),
  kind: z.enum(['person', 'company', 'lead']),
  name: z.string(),
  email: z.string().optional(),
  phones: z.array(z.object({ raw: z.string(), e164: z.string() })),
  labels: z.array(z.string()),
  ownerId: z.string().optional(),
});
export type CustomerSummary = z.infer<typeof customerSummarySchema>;

/**
 * `GET /api/customers?q=&phone=&label=&after=`: one page; `hasMore` when another follows (no
 * totals), and then `cursor`, an opaque token: send it back as `after=` for the next page.
 * A name prefix needs at least `MIN_NAME_PREFIX` letters (a 400 with `details[0].path` `q`).
 */
export const customerSearchAnswerSchema = z.object({
  customers: z.array(customerSummarySchema),
  page: z.number().int(),
  hasMore: z.boolean(),
  cursor: z.string().optional(),
});

/** Letters (or digits) a name prefix needs, accents and case aside. */
export const MIN_NAME_PREFIX = 3;
export type CustomerSearchAnswer = z.infer<typeof customerSearchAnswerSchema>;

/**
 * `POST /api/customers` (201) and `PATCH /api/customers/:id`: the customer, with a warning for
 * each other customer that has the same phone or email (when it was created or changed anyway).
 */
export const customerAnswerSchema = z.object({
  customer: customerSummarySchema,
  warnings: z.array(z.object({ message: z.string(), customer: customerSummarySchema })).optional(),
});
export type CustomerAnswer = z.infer<typeof customerAnswerSchema>;

/** `error.details` of a 409 on `POST /api/customers`: the customers with the same phone or email. */
export const duplicatesDetailSchema = z.object({ duplicates: z.array(customerSummarySchema) });
export type DuplicatesDetail = z.infer<typeof duplicatesDetailSchema>;

/** `POST /api/customers/:id/notes` (201). */
export const noteCreatedSchema = z.object({ note: z.object({ id: z.string(), at: z.string(), text: z.string() }) });
export type NoteCreated = z.infer<typeof noteCreatedSchema>;

/** An entry of `GET /api/customers/:id/timeline`: calls, notes, SMS, letters, e-mail and cases. */
export const timelineEntrySchema = z.object({
  id: z.string(),
  type: z.enum(['call', 'note', 'sms', 'letter', 'email', 'case']),
  at: z.string(),
  summary: z.string(),
  agentName: z.string().optional(),
  disposition: z.string().optional(),
  direction: z.string().optional(),
  callId: z.string().optional(),
  caseNumber: z.string().optional(),
  status: z.string().optional(),
});
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;

/** `GET /api/customers/:id/timeline`: newest first; `hasMore` when older entries follow (`before`). */
export const timelineAnswerSchema = z.object({ entries: z.array(timelineEntrySchema), hasMore: z.boolean() });
export type TimelineAnswer = z.infer<typeof timelineAnswerSchema>;
