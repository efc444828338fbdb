// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { PublicUser } from '@ringside/shared';
import { getSocket, openSocket } from '../services/socket';
import { TOKEN_STORAGE_KEY, useSessionStore } from './session';

const user: PublicUser = {
  id: '665f1c2e9b1e4a0012345678',
  email: 'agent1@ringside.test',
  name: 'Ada Agent',
  roles: ['agent'],
  skills: ['billing'],
};

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

/** Stubs the browser's fetch with one answer for every call. */
function answer(status: number, body: unknown) {
  const fetchMock = vi.fn<typeof fetch>(async () => json(status, body));
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

beforeEach(() => {
  localStorage.clear();
  setActivePinia(createPinia());
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('session store', () => {
  it('login posts the credentials and stores the token and the user', async () => {
    const fetchMock = answer(200, { token: 'jwt-agent1', user });
    const session = useSessionStore();

    await expect(session.login(' Agent1@Ringside.test ', 'ringside')).resolves.toBe(true);

    expect(fetchMock).toHaveBeenCalledOnce();
    const [url, init] = fetchMock.mock.calls[0] ?? [];
    expect(url).toBe('/api/auth/login');
    expect(init?.method).toBe('POST');
    expect(JSON.parse(String(init?.body))).toEqual({ email: 'agent1@ringside.test', password: 'ringside' });
    expect(session.token).toBe('jwt-agent1');
    expect(session.user).toEqual(user);
    expect(session.isAuthenticated).toBe(true);
    expect(session.error).toBeNull();
    expect(localStorage.getItem(TOKEN_STORAGE_KEY)).toBe('jwt-agent1');
  });

  it('a 401 answer shows the server message and stores nothing', async () => {
    answer(401, { error: { code: 'unauthorized', message: 'invalid email or password' } });
    const session = useSessionStore();

    await expect(session.login('agent1@ringside.test', 'wrong')).resolves.toBe(false);

    expect(session.error).toBe('invalid email or password');
    expect(session.token).toBeNull();
    expect(session.user).toBeNull();
    expect(session.isAuthenticated).toBe(false);
    expect(localStorage.length).toBe(0);
  });

  it('an answer that is not a login answer is an error, not a session', async () => {
    answer(200, { token: 'jwt-agent1' });
    const session = useSessionStore();

    await expect(session.login('agent1@ringside.test', 'ringside')).resolves.toBe(false);

    expect(session.error).toMatch(/does not understand/);
    expect(session.token).toBeNull();
    expect(localStorage.length).toBe(0);
  });

  it('rejects a malformed email without asking the server', async () => {
    const fetchMock = answer(200, { token: 'jwt-agent1', user });
    const session = useSessionStore();

    await expect(session.login('agent1', 'ringside')).resolves.toBe(false);

    expect(fetchMock).not.toHaveBeenCalled();
    expect(session.error).toBe('email must be an email address');
  });

  it('logout clears the user, the token, localStorage and the socket', async () => {
    answer(200, { token: 'jwt-agent1', user });
    const session = useSessionStore();
    await session.login('agent1@ringside.test', 'ringside');
    const socket = openSocket('jwt-agent1'); // not connected: autoConnect is off

    session.logout();

    expect(session.token).toBeNull();
    expect(session.user).toBeNull();
    expect(session.isAuthenticated).toBe(false);
    expect(localStorage.getItem(TOKEN_STORAGE_KEY)).toBeNull();
    expect(getSocket()).toBeNull();
    expect(socket.active).toBe(false);
  });

  it('after a reload, restores the user from the stored token with GET /api/auth/me', async () => {
    localStorage.setItem(TOKEN_STORAGE_KEY, 'jwt-agent1');
    const fetchMock = answer(200, { user });
    const session = useSessionStore();

    await session.restore();

    const [url, init] = fetchMock.mock.calls[0] ?? [];
    expect(url).toBe('/api/auth/me');
    expect(new Headers(init?.headers).get('Authorization')).toBe('Bearer jwt-agent1');
    expect(session.user).toEqual(user);
    expect(session.isAuthenticated).toBe(true);
  });

  it('after a reload, a token the server no longer accepts signs the user out', async () => {
    localStorage.setItem(TOKEN_STORAGE_KEY, 'jwt-expired');
    answer(401, { error: { code: 'unauthorized', message: 'invalid or expired token' } });
    const session = useSessionStore();

    await session.restore();

    expect(session.token).toBeNull();
    expect(session.isAuthenticated).toBe(false);
    expect(localStorage.getItem(TOKEN_STORAGE_KEY)).toBeNull();
    expect(session.error).toMatch(/session has expired/);
  });
});
