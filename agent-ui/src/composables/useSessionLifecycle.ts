import { watch } from 'vue';
import { useRoute, useRouter } from 'vue-router';
import { useAgentStateStore } from '../stores/agent-state';
import { useCallsStore } from '../stores/calls';
import { useConnectionStore } from '../stores/connection';
import { useCallbacksStore } from '../stores/callbacks';
import { resetCustomerStores } from '../stores/customers';
import { bindRealtime } from '../stores/realtime';
import { useReferralsStore } from '../stores/referrals';
import { useSessionStore } from '../stores/session';
import { useSupervisorStore } from '../stores/supervisor';

/**
 * Ties the socket to the signed-in session, once, at the root of the app:
 * a signed-in user gets a connected socket whose events feed the stores; signing out (or an
 * expired token) closes it, forgets calls and figures, and returns to the sign-in page.
 */
export function useSessionLifecycle(): void {
  const session = useSessionStore();
  const connection = useConnectionStore();
  const agentState = useAgentStateStore();
  const router = useRouter();
  const route = useRoute();

  watch(
    () => (session.isAuthenticated ? session.token : null),
    (token, previous) => {
      if (token) {
        if (session.user) agentState.useAgent(session.user.id);
        connection.connect(token, bindRealtime);
        return;
      }
      connection.disconnect();
      // Only a real sign-out forgets: at start-up, before a stored token is checked, the call
      // in hand kept across a reload must stay.
      if (previous) {
        useCallsStore().reset();
        agentState.reset();
        useSupervisorStore().reset();
        resetCustomerStores();
        useCallbacksStore().reset();
        useReferralsStore().reset();
      }
    },
    { immediate: true },
  );

  // The server refused the socket: if the token is no longer valid, `revalidate` signs out.
  watch(
    () => connection.status,
    (status) => {
      if (status === 'disconnected') void session.revalidate();
    },
  );

  watch(
    () => session.isAuthenticated,
    (signedIn) => {
      if (!signedIn && !route.meta.public) void router.replace({ name: 'login' });
    },
  );
}
