/** Queues and the skill each needs (configurable queues come with the queues feature). */
export interface QueueDefinition {
  name: string;
  skill: string;
}

export const DEFAULT_QUEUES: QueueDefinition[] = [
  { name: 'support', skill: 'support' },
  { name: 'collections', skill: 'collections' },
  { name: 'sales', skill: 'sales' },
];

/** Callers with an open dunning case go to collections; everyone else to support. */
export function queueForCall(hasDunningCase: boolean): QueueDefinition {
  const name = hasDunningCase ? 'collections' : 'support';
  return DEFAULT_QUEUES.find((q) => q.name === name) ?? { name, skill: name };
}
