import { z } from 'zod';

/** Who a user is in the contact center; a user may hold several roles. */
export const roleSchema = z.enum(['agent', 'supervisor', 'admin', 'legal']);
export type Role = z.infer<typeof roleSchema>;
export const ROLES = roleSchema.options;

/** What an agent is doing right now; only `available` agents are offered calls. */
export const agentStatusSchema = z.enum(['offline', 'available', 'reserved', 'on_call', 'wrap_up', 'away']);
export type AgentStatus = z.infer<typeof agentStatusSchema>;
