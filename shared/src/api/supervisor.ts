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

/**
 * Something a supervisor should act on now, pushed as `supervisor:alert` and listed by
 * `GET /api/supervisor/alerts`: several agents set away for missed calls within a minute (their
 * consoles went silent), or offers moved on because the server itself was late.
 */
export const supervisorAlertSchema = z.object({
  id: z.string(),
  kind: z.enum(['agents_away', 'server_late']),
  at: z.string(),
  /** Agents set away (agents_away) or offers moved on (server_late) within the window. */
  count: z.number(),
  windowSec: z.number(),
  /** agents_away: who. */
  agents: z.array(z.object({ agentId: z.string(), name: z.string() })).optional(),
  /** server_late: how late the server was, ms (the latest offer). */
  lateMs: z.number().optional(),
});
export type SupervisorAlert = z.infer<typeof supervisorAlertSchema>;
export const supervisorAlertsSchema = z.object({ alerts: z.array(supervisorAlertSchema) });
