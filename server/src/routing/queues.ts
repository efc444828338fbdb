/** Queues and the skill each needs (configurable queues come with the queues feature). */
export interface QueueDefinition {
  name: string;
  skill: string;
  /** Service level: answered within this many seconds. */
  slaSeconds: number;
}

export const DEFAULT_QUEUES: QueueDefinition[] = [
  { name: 'support', skill: 'support', slaSeconds: 20 },
  { name: 'collections', skill: 'collections', slaSeconds: 30 },
  { name: 'sales', skill: 'sales', slaSeconds: 20 },
];

/** Callers with an open dunning case go to collections; everyone else to support. */
export function queueForCall(hasDunningCase: boolean): QueueDefinition {
  const name = hasDunningCase ? 'collections' : 'support';
  return DEFAULT_QUEUES.find((q) => q.name === name) ?? { name, skill: name, slaSeconds: 20 };
}
