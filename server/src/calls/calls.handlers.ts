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
import { AppError } from '../errors';
import { authorize, strictAbilityFor, subjects } from '../auth/policy';
import type { Logger } from '../logger';

/**
 * The agent's socket events: state, accept, wrap-up, callbacks. Every payload is validated, every
 * event asks the policy (here for the user's own records; the services for customers), every event is acked.
 */
export function registerCallHandlers(
  socket: RingsideSocket,
  calls: CallService,
  callbacks: CallbackService,
  logger: Logger,
  gate?: () => AppError | undefined,
): void {
  const opts = { logger, ...(gate ? { gate } : {}) };
  const me = socket.data.userId;
  const viewer = { userId: me, roles: socket.data.roles as Role[], name: socket.data.name };
  // A socket's roles are its token's: they do not change while it is connected.
  const ability = strictAbilityFor(viewer);

  socket.on(
    'agent:state:set',
    socketHandler(
      agentStateSetSchema,
      async (p) => {
        const target = p.agentId ?? me;
        authorize(ability, 'update', subjects.agentState(target));
        if (!isObjectId(target)) throw new AppError('bad_request', 'agentId is not a valid id');
        const state = await calls.setAgentStatus(target, p.status, p.reason);
        return {
          agentId: target,
          status: state.status,
          since: state.since.toISOString(),
          ...(p.reason ? { reason: p.reason } : {}),
        };
      },
      opts,
    ),
  );
  socket.on(
    'call:accept',
    socketHandler(
      callAcceptSchema,
      (p) => {
        authorize(ability, 'accept', subjects.call(me));
        return calls.accept(me, p.callId);
      },
      opts,
    ),
  );
  socket.on(
    'call:wrapup',
    socketHandler(
      callWrapupSchema,
      (p) => {
        authorize(ability, 'wrapup', subjects.call(me));
        return calls.wrapUp(me, p);
      },
      opts,
    ),
  );
  socket.on(
    'callback:schedule',
    socketHandler(
      callbackScheduleSchema,
      async (p) => {
        const { callback, postponed, created } = await callbacks.schedule(p, viewer);
        return { callbackId: callback.id, dueAt: callback.dueAt, postponed, created };
      },
      opts,
    ),
  );
}
