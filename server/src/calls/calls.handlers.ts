import {
  agentStateSetSchema,
  callAcceptSchema,
  callWrapupSchema,
  callbackScheduleSchema,
  isObjectId,
} from '@ringside/shared';
import type { CallService } from './call.service';
import type { CallbackService } from '../callbacks/callbacks.service';
import type { Role } from '@ringside/shared';
import type { RingsideSocket } from '../realtime/gateway';
import { socketHandler } from '../realtime/ack';
import { AppError, forbidden } from '../errors';
import type { Logger } from '../logger';

/** The agent's socket events: state, accept, wrap-up. Every payload is validated; every event acked. */
export function registerCallHandlers(
  socket: RingsideSocket,
  calls: CallService,
  callbacks: CallbackService,
  logger: Logger,
): void {
  const me = socket.data.userId;
  const isSupervisor = socket.data.roles.includes('supervisor') || socket.data.roles.includes('admin');

  socket.on(
    'agent:state:set',
    socketHandler(
      agentStateSetSchema,
      async (p) => {
        const target = p.agentId ?? me;
        if (target !== me && !isSupervisor) throw forbidden("only supervisors may set another agent's state");
        if (!isObjectId(target)) throw new AppError('bad_request', 'agentId is not a valid id');
        const state = await calls.setAgentStatus(target, p.status, p.reason);
        return {
          agentId: target,
          status: state.status,
          since: state.since.toISOString(),
          ...(p.reason ? { reason: p.reason } : {}),
        };
      },
      logger,
    ),
  );
  socket.on(
    'call:accept',
    socketHandler(callAcceptSchema, (p) => calls.accept(me, p.callId), logger),
  );
  socket.on(
    'call:wrapup',
    socketHandler(callWrapupSchema, (p) => calls.wrapUp(me, p), logger),
  );
  socket.on(
    'callback:schedule',
    socketHandler(
      callbackScheduleSchema,
      async (p) => {
        const viewer = { userId: me, roles: socket.data.roles as Role[], name: socket.data.name };
        const { callback, postponed, created } = await callbacks.schedule(p, viewer);
        return { callbackId: callback.id, dueAt: callback.dueAt, postponed, created };
      },
      logger,
    ),
  );
}
