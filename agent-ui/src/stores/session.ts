import { computed, ref } from 'vue';
import { defineStore } from 'pinia';
import {
  loginRequestSchema,
  loginResponseSchema,
  meResponseSchema,
  type PublicUser,
  type Role,
} from '@ringside/shared';
import { ApiError, errorMessage, request } from '../services/api';
import { useConnectionStore } from './connection';

/** Where the token survives a reload. */
export const TOKEN_STORAGE_KEY = 'ringside.token';

/** Who is signed in, with the token that authenticates both HTTP and the socket. */
export const useSessionStore = defineStore('session', () => {
  const token = ref<string | null>(readToken());
  const user = ref<PublicUser | null>(null);
  const error = ref<string | null>(null);
  const busy = ref(false);

  const isAuthenticated = computed(() => token.value !== null && user.value !== null);
  const roles = computed<readonly Role[]>(() => user.value?.roles ?? []);

  /** Signs in; on failure leaves nothing stored and puts the reason in `error`. */
  async function login(email: string, password: string): Promise<boolean> {
    error.value = null;
    const credentials = loginRequestSchema.safeParse({ email, password });
    if (!credentials.success) {
      error.value = credentials.error.issues[0]?.message ?? 'Enter your email and password.';
      return false;
    }
    busy.value = true;
    try {
      const answer = await request('/api/auth/login', {
        method: 'POST',
        body: credentials.data,
        schema: loginResponseSchema,
      });
      token.value = answer.token;
      user.value = answer.user;
      writeToken(answer.token);
      return true;
    } catch (e) {
      error.value = errorMessage(e);
      return false;
    } finally {
      busy.value = false;
    }
  }

  // The `GET /me` under way, so that concurrent navigations ask once per token.
  let loading: { token: string; done: Promise<void> } | null = null;

  /** After a reload: turns a stored token back into a signed-in user, once. */
  function restore(): Promise<void> {
    if (token.value === null || user.value !== null) return Promise.resolve();
    return revalidate();
  }

  /** Asks the server who the token belongs to; a token it no longer accepts signs the user out. */
  function revalidate(): Promise<void> {
    const current = token.value;
    if (current === null) return Promise.resolve();
    if (loading?.token === current) return loading.done;
    const done = loadUser(current).finally(() => {
      if (loading?.done === done) loading = null;
    });
    loading = { token: current, done };
    return done;
  }

  async function loadUser(current: string): Promise<void> {
    try {
      const answer = await request('/api/auth/me', { token: current, schema: meResponseSchema });
      if (token.value === current) user.value = answer.user;
    } catch (e) {
      if (token.value !== current) return;
      if (e instanceof ApiError && e.status === 401) {
        logout();
        error.value = 'Your session has expired. Please sign in again.';
      } else {
        error.value = errorMessage(e);
      }
    }
  }

  /** Forgets the user and token everywhere and closes the socket. */
  function logout(): void {
    token.value = null;
    user.value = null;
    error.value = null;
    removeToken();
    useConnectionStore().disconnect();
  }

  return { token, user, error, busy, isAuthenticated, roles, login, restore, revalidate, logout };
});

// Storage can be unavailable (private modes, blocked cookies); the session then lasts until reload.
function readToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_STORAGE_KEY);
  } catch {
    return null;
  }
}

function writeToken(value: string): void {
  try {
    localStorage.setItem(TOKEN_STORAGE_KEY, value);
  } catch {
    // see readToken
  }
}

function removeToken(): void {
  try {
    localStorage.removeItem(TOKEN_STORAGE_KEY);
  } catch {
    // see readToken
  }
}
