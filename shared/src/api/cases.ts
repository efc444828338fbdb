import { z } from 'zod';

/**
 * A service case (ticket) as `/api/cases` shows it. The console reads the fields it lists; the
 * others are sent as well and described here so that the server's view is checked against them.
 */
export const caseViewSchema = z.object({
  id: z.string(),
  number: z.string(),
  kind: z.string(),
  subject: z.string(),
  status: z.string(),
  priority: z.string(),
  openedAt: z.string(),
  closedAt: z.string().optional(),
  customerId: z.string().optional(),
  ownerId: z.string().optional(),
  callIds: z.array(z.string()).optional(),
  notes: z.array(z.object({ at: z.string(), authorName: z.string().optional(), text: z.string() })).optional(),
});
export type CaseView = z.infer<typeof caseViewSchema>;

/** `GET /api/cases?status=&kind=&customerId=&mine=`: newest opened first. */
export const caseListSchema = z.object({ cases: z.array(caseViewSchema) });
export type CaseList = z.infer<typeof caseListSchema>;

/** `POST /api/cases` (201), `GET|PATCH /api/cases/:id`, `POST /api/cases/:id/notes` (201). */
export const caseAnswerSchema = z.object({ case: caseViewSchema });
export type CaseAnswer = z.infer<typeof caseAnswerSchema>;
