import type { Interaction } from '../db/schemas/interaction.model';

/** An interaction as the pop and the timeline show it. */
export function interactionView(i: Pick<Interaction, '_id' | 'type' | 'at' | 'summary' | 'agentName' | 'disposition'>) {
  return {
    id: i._id.toString(),
    type: i.type,
    at: i.at.toISOString(),
    summary: i.summary,
    ...(i.agentName ? { agentName: i.agentName } : {}),
    ...(i.disposition ? { disposition: i.disposition } : {}),
  };
}
