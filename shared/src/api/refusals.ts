import { z } from 'zod';

// `error.details` of refusals that carry data: the server words its message from these fields and
// the console words its own from them, never from the message.

/** A 409 for a call outside the customer's calling hours: when the customer may be called next (ISO). */
export const outsideCallingHoursSchema = z.object({ nextWindow: z.iso.datetime({ offset: true }) });
export type OutsideCallingHours = z.infer<typeof outsideCallingHoursSchema>;
