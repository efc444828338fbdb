import { z } from 'zod';
import { agentStatusSchema } from '../roles';
import { dunningStatsSchema } from '../dunning';

/** The supervisors' live figures: `GET /api/supervisor/stats` answers them and `queue:stats` pushes them. */
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
  /** `connected`: a console of the agent is connected; only then is the agent offered calls. */
  agents: z.array(
    z.object({
      agentId: z.string(),
      name: z.string(),
      status: agentStatusSchema,
      sinceSec: z.number(),
      connected: z.boolean(),
    }),
  ),
  callbacks: z.object({ due: z.number(), overdue: z.number() }),
  popLatencyP95Ms: z.number().nullable(),
  /** Dunning progress (cases by stage, promises kept and broken, amount recovered). */
  dunning: dunningStatsSchema.optional(),
});
export type QueueStats = z.infer<typeof queueStatsSchema>;
