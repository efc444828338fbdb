import { z } from 'zod';

export const callbackStatusSchema = z.enum([
  'holding',
  'scheduled',
  'offered',
  'dialing',
  'completed',
  'failed',
  'cancelled',
]);
export type CallbackStatus = z.infer<typeof callbackStatusSchema>;

/**
 * A callback as `/api/callbacks` shows it. The server sends every field but `customerName` (lists
 * only), `requestedDueAt`, `requestedBy` and `assignedTo`; the console needs no more than id,
 * customer, due time and reason, and reads the rest when present.
 */
export const callbackViewSchema = z.object({
  id: z.string(),
  customerId: z.string(),
  customerName: z.string().optional(),
  dueAt: z.string(),
  reason: z.string(),
  status: callbackStatusSchema.optional(),
  phone: z.string().optional(),
  queue: z.string().optional(),
  source: z.enum(['agent', 'virtual_hold', 'dunning']).optional(),
  requestedDueAt: z.string().optional(),
  personal: z.boolean().optional(),
  requestedBy: z.string().optional(),
  assignedTo: z.string().optional(),
  attempts: z.array(z.object({ at: z.string(), outcome: z.string() })).optional(),
});
export type CallbackView = z.infer<typeof callbackViewSchema>;

/** `GET /api/callbacks?status=&mine=&customerId=`: soonest due first. */
export const callbackListAnswerSchema = z.object({ callbacks: z.array(callbackViewSchema) });
export type CallbackListAnswer = z.infer<typeof callbackListAnswerSchema>;

/** `PATCH` (reassign) and `DELETE /api/callbacks/:id`. */
export const callbackAnswerSchema = z.object({ callback: callbackViewSchema });
export type CallbackAnswer = z.infer<typeof callbackAnswerSchema>;

/**
 * `POST /api/callbacks`: 201 when created, 200 when the same callback (customer, reason, half-hour
 * window) existed; `postponed` when the time asked for was moved into the customer's calling hours.
 */
export const callbackScheduledSchema = z.object({
  callback: callbackViewSchema,
  created: z.boolean(),
  postponed: z.boolean(),
});
export type CallbackScheduled = z.infer<typeof callbackScheduledSchema>;

/** `POST /api/callbacks/:id/accept`: the customer is being dialed and connected to the agent. */
export const callbackAcceptedSchema = z.object({ providerCallId: z.string() });
export type CallbackAccepted = z.infer<typeof callbackAcceptedSchema>;
