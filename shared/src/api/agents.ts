import { z } from 'zod';
import { agentStatusSchema } from '../roles';

/** An agent on `GET /api/agents` (supervisors): who they are and their live state. */
export const rosterAgentSchema = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  skills: z.array(z.string()),
  state: z.object({ status: agentStatusSchema, since: z.string(), reason: z.string().optional() }),
  /** A console of the agent is connected (only then are they offered calls); absent from older servers. */
  connected: z.boolean().default(false),
});
export type RosterAgent = z.infer<typeof rosterAgentSchema>;

/** `GET /api/agents`: active agents by name. */
export const agentRosterSchema = z.object({ agents: z.array(rosterAgentSchema) });
export type AgentRoster = z.infer<typeof agentRosterSchema>;
