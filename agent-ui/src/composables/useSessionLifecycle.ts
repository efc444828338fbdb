import { watch } from 'vue';
import { useRoute, useRouter } from 'vue-router';
import { useConnectionStore } from '../stores/connection';
import { useSessionStore } from '../stores/session';

/**
 * Ties the socket to the signed-in session, once, at the root of the app:
 * a signed-in user gets a connected socket, signing out (or an expired token) closes it
 * and returns to the sign-in page.
 */
export function useSessionLifecycle(): void {
  const session = useSessionStore();
  const connection = useConnectionStore();
  const router = useRouter();
  const route = useRoute();

  watch(
    () => (session.isAuthenticated ? session.token : null),
    (token) => {
      if (token) connection.connect(token);
      else connection.disconnect();
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
