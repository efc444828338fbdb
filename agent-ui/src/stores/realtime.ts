import type { ServerToClientEvents } from '@ringside/shared';
import type { RingsideSocket } from '../services/socket';
import { useAgentStateStore } from './agent-state';
import { useCallsStore } from './calls';
import { useSupervisorStore } from './supervisor';

/** Marked when a pop arrives on the socket, with `{callId}` as its detail. */
export const SCREENPOP_MARK = 'ringside:screenpop';

/**
 * Routes the server's events to the stores that own them, for one socket; returns what
 * detaches them. The pop is acknowledged as soon as the calls store holds it: an offer this
 * console does not acknowledge in time goes to another agent.
 */
export function bindRealtime(socket: RingsideSocket): () => void {
  const calls = useCallsStore();
  const agentState = useAgentStateStore();
  const supervisor = useSupervisorStore();

  const onOffered: ServerToClientEvents['call:offered'] = (offer) => calls.receiveOffer(offer);
  const onPop: ServerToClientEvents['screenpop'] = (pop, ack) => {
    // A mark for the pop's latency, in DevTools' performance panel, the browser tests and bench:paint
    // (the desk marks `ringside:card-painted` once the card is on screen).
    performance.mark(SCREENPOP_MARK, { detail: { callId: pop.callId } });
    ack(calls.receivePop(pop));
  };
  const onUpdated: ServerToClientEvents['call:updated'] = (update) => calls.receiveUpdate(update);
  const onEnded: ServerToClientEvents['call:ended'] = (ended) => calls.receiveEnded(ended);
  const onAgentState: ServerToClientEvents['agent:state'] = (state) => {
    agentState.receive(state);
    supervisor.receiveAgentState(state);
  };
  const onStats: ServerToClientEvents['queue:stats'] = (stats) => {
    supervisor.receiveStats(stats);
  };
  const onAlert: ServerToClientEvents['supervisor:alert'] = (alert) => {
    supervisor.receiveAlert(alert);
  };
  // After a reconnect the server replays the offers that still stand; the others are gone.
  const onConnect = () => calls.expectReplay();

  socket.on('connect', onConnect);
  socket.on('call:offered', onOffered);
  socket.on('screenpop', onPop);
  socket.on('call:updated', onUpdated);
  socket.on('call:ended', onEnded);
  socket.on('agent:state', onAgentState);
  socket.on('queue:stats', onStats);
  socket.on('supervisor:alert', onAlert);
  return () => {
    socket.off('connect', onConnect);
    socket.off('call:offered', onOffered);
    socket.off('screenpop', onPop);
    socket.off('call:updated', onUpdated);
    socket.off('call:ended', onEnded);
    socket.off('agent:state', onAgentState);
    socket.off('queue:stats', onStats);
    socket.off('supervisor:alert', onAlert);
  };
}
