import { z } from 'zod';

/** `POST /api/calls/outbound` (click-to-dial): 201 with the provider's call id and the number dialed. */
export const outboundCallSchema = z.object({ callId: z.string(), to: z.string() });
export type OutboundCall = z.infer<typeof outboundCallSchema>;
