import type { AgentStatus } from '@ringside/shared';

const LABELS: Readonly<Record<AgentStatus, string>> = {
  offline: 'Offline',
  available: 'Available',
  reserved: 'Ringing',
  on_call: 'On a call',
  wrap_up: 'Wrap-up',
  away: 'Away',
};

/** What the console calls an agent's state; 'Unknown' before the server has said. */
export function agentStatusLabel(status: AgentStatus | null | undefined): string {
  return status ? LABELS[status] : 'Unknown';
}
