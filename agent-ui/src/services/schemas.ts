import { z } from 'zod';
import { agentStatusSchema, dunningStatsSchema, screenPopSchema } from '@ringside/shared';

// The answers of the HTTP API this console reads, validated on arrival: the server is a
// boundary too. Shapes follow server/src/*/*.routes.ts; unknown extra fields are dropped.

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

export const customerSearchSchema = z.object({
  customers: z.array(customerSummarySchema),
  page: z.number().int(),
  hasMore: z.boolean(),
});
export type CustomerSearchAnswer = z.infer<typeof customerSearchSchema>;

export const customerCreatedSchema = z.object({ customer: customerSummarySchema });

/** `error.details` of a 409 on `POST /api/customers`. */
export const duplicatesDetailSchema = z.object({ duplicates: z.array(customerSummarySchema) });

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

export const timelineSchema = z.object({ entries: z.array(timelineEntrySchema), hasMore: z.boolean() });

export const noteCreatedSchema = z.object({ note: z.object({ id: z.string(), at: z.string(), text: z.string() }) });

export const caseSchema = z.object({
  id: z.string(),
  number: z.string(),
  kind: z.string(),
  subject: z.string(),
  status: z.string(),
  priority: z.string(),
  openedAt: z.string(),
  closedAt: z.string().optional(),
});
export type CustomerCase = z.infer<typeof caseSchema>;
export const casesSchema = z.object({ cases: z.array(caseSchema) });

/** `GET /api/callbacks` entries: read leniently, only what the lists show. */
export const callbackSchema = z.object({
  id: z.string(),
  customerId: z.string(),
  customerName: z.string().optional(),
  dueAt: z.string(),
  reason: z.string(),
  status: z.string().optional(),
  phone: z.string().optional(),
  queue: z.string().optional(),
  personal: z.boolean().optional(),
  requestedBy: z.string().optional(),
  assignedTo: z.string().optional(),
  attempts: z.array(z.object({ at: z.string(), outcome: z.string() })).optional(),
});
export type CallbackItem = z.infer<typeof callbackSchema>;
export const callbacksSchema = z.object({ callbacks: z.array(callbackSchema) });
export const callbackAnswerSchema = z.object({ callback: callbackSchema });

/** `POST /api/callbacks/:id/accept`: the customer is being dialed and connected to the agent. */
export const callbackAcceptedSchema = z.object({ providerCallId: z.string() });

/** `POST /api/calls/outbound` (click-to-dial): 201 with the provider's call id and the number dialed. */
export const outboundCallSchema = z.object({ callId: z.string(), to: z.string() });

export const popAnswerSchema = screenPopSchema;

export const agentsSchema = z.object({
  agents: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      email: z.string(),
      skills: z.array(z.string()),
      state: z.object({ status: agentStatusSchema, since: z.string(), reason: z.string().optional() }),
      connected: z.boolean().default(false),
    }),
  ),
});
export type RosterAgent = z.infer<typeof agentsSchema>['agents'][number];

/** `QueueStats` of `@ringside/shared`, as `GET /api/supervisor/stats` answers and `queue:stats` pushes. */
export const queueStatsSchema = z.object({
  at: z.string(),
  queues: z.array(
    z.object({
      name: z.string(),
      waiting: z.number(),
      longestWaitSec: z.number(),
      serviceLevel: z.number(),
      abandonRate: z.number(),
      averageHandleSec: z.number(),
    }),
  ),
  agents: z.array(z.object({ agentId: z.string(), name: z.string(), status: agentStatusSchema, sinceSec: z.number(), connected: z.boolean() })),
  callbacks: z.object({ due: z.number(), overdue: z.number() }),
  popLatencyP95Ms: z.number().nullable(),
  dunning: dunningStatsSchema.optional(),
});
