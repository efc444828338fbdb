// @vitest-environment happy-dom
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { createMemoryHistory, type Router } from 'vue-router';
import type { PublicUser, Role } from '@ringside/shared';
import { TOKEN_STORAGE_KEY, useSessionStore } from '../stores/session';
import { afterLoginTarget, createAppRouter, guard, homeFor } from './index';

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

function userWith(roles: Role[]): PublicUser {
  return {
    id: '665f1c2e9b1e4a0012345678',
    email: `${roles.join('-')}@ringside.test`,
    name: roles.join(' '),
    roles,
    skills: [],
  };
}

/** The server: logs anyone in with the given roles; `GET /api/auth/me` knows the same user. */
function serverFor(roles: Role[]) {
  const user = userWith(roles);
  vi.stubGlobal(
    'fetch',
    vi.fn<typeof fetch>(async (input) => {
      const path = String(input);
      if (path === '/api/auth/login') return json(200, { token: 'jwt', user });
      if (path === '/api/auth/me') return json(200, { user });
      return json(404, { error: { code: 'not_found', message: 'not here' } });
    }),
  );
}

/** What LoginView does when the form is sent. */
async function signInThroughForm(router: Router): Promise<void> {
  expect(await useSessionStore().login('someone@ringside.test', 'ringside')).toBe(true);
  await router.replace(afterLoginTarget(router.currentRoute.value.query.redirect));
}

let router: Router;

// The views load lazily on first navigation; compiling them once here keeps that out of each test's time.
beforeAll(async () => {
  await Promise.all([
    import('../views/LoginView.vue'),
    import('../views/AgentDeskView.vue'),
    import('../views/WallboardView.vue'),
    import('../views/ReferralsView.vue'),
    import('../views/CustomerView.vue'),
  ]);
}, 60_000);

beforeEach(() => {
  localStorage.clear();
  setActivePinia(createPinia());
  router = createAppRouter(createMemoryHistory());
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('where each role lands after signing in', () => {
  const START_PAGES: Array<[Role[], string]> = [
    [['agent'], '/desk'],
    [['supervisor'], '/wallboard'],
    [['admin'], '/wallboard'],
    [['legal'], '/legal'],
    [['agent', 'legal'], '/desk'],
  ];

  it.each(START_PAGES)('%j opening `/` signs in and lands on %s', async (roles, page) => {
    serverFor(roles);
    await router.push('/');
    // `/` is nobody's page: the sign-in page carries no redirect that would decide for the user.
    expect(router.currentRoute.value.name).toBe('login');
    expect(router.currentRoute.value.query).toEqual({});

    await signInThroughForm(router);

    expect(router.currentRoute.value.path).toBe(page);
  });

  it('a deep link is kept across signing in', async () => {
    serverFor(['agent']);
    await router.push('/customers/665f1c2e9b1e4a0012340001');
    expect(router.currentRoute.value.name).toBe('login');
    expect(router.currentRoute.value.query.redirect).toBe('/customers/665f1c2e9b1e4a0012340001');

    await signInThroughForm(router);

    expect(router.currentRoute.value.path).toBe('/customers/665f1c2e9b1e4a0012340001');
  });

  it("a deep link to another role's page lands on the user's own start page", async () => {
    serverFor(['legal']);
    await router.push('/desk');
    expect(router.currentRoute.value.query.redirect).toBe('/desk');

    await signInThroughForm(router);

    expect(router.currentRoute.value.path).toBe('/legal');
  });

  it('an unknown path signed out goes to the sign-in page, then to the start page', async () => {
    serverFor(['supervisor']);
    await router.push('/no/such/page');
    expect(router.currentRoute.value.name).toBe('login');
    expect(router.currentRoute.value.query).toEqual({});

    await signInThroughForm(router);

    expect(router.currentRoute.value.path).toBe('/wallboard');
  });

  it('after a reload with a stored token, `/` is the start page of the restored user', async () => {
    localStorage.setItem(TOKEN_STORAGE_KEY, 'jwt');
    serverFor(['legal']);

    await router.push('/');

    expect(router.currentRoute.value.path).toBe('/legal');
  });

  it('a signed-in user asking for the sign-in page gets their start page', async () => {
    serverFor(['agent']);
    await router.push('/');
    await signInThroughForm(router);

    await router.push('/login');

    expect(router.currentRoute.value.path).toBe('/desk');
  });

  it('admins may open the referrals; agents and supervisors are sent to their own page', async () => {
    serverFor(['admin']);
    await router.push('/');
    await signInThroughForm(router);
    await router.push('/legal');
    expect(router.currentRoute.value.path).toBe('/legal');

    expect(
      guard(
        { name: 'referrals', fullPath: '/legal', meta: { roles: ['legal', 'admin'] } },
        { isAuthenticated: true, roles: ['agent'] },
      ),
    ).toEqual({ name: 'desk' });
    expect(
      guard(
        { name: 'referrals', fullPath: '/legal', meta: { roles: ['legal', 'admin'] } },
        { isAuthenticated: true, roles: ['supervisor'] },
      ),
    ).toEqual({ name: 'wallboard' });
  });
});

describe('landing rules', () => {
  it('homeFor: agent → desk, supervisor or admin → wallboard, legal → referrals, anyone else → customers', () => {
    expect(homeFor(['agent'])).toEqual({ name: 'desk' });
    expect(homeFor(['supervisor'])).toEqual({ name: 'wallboard' });
    expect(homeFor(['admin'])).toEqual({ name: 'wallboard' });
    expect(homeFor(['legal'])).toEqual({ name: 'referrals' });
    expect(homeFor([])).toEqual({ name: 'customers' });
  });

  it('afterLoginTarget keeps a path inside the console and nothing else', () => {
    expect(afterLoginTarget('/customers?q=kowal')).toBe('/customers?q=kowal');
    expect(afterLoginTarget(undefined)).toEqual({ name: 'home' });
    expect(afterLoginTarget(['/desk'])).toEqual({ name: 'home' });
    expect(afterLoginTarget('//evil.example.com/')).toEqual({ name: 'home' });
    expect(afterLoginTarget('/\\evil.example.com/')).toEqual({ name: 'home' });
    expect(afterLoginTarget('https://evil.example.com/')).toEqual({ name: 'home' });
  });

  it('guard: public pages open to everyone signed out', () => {
    expect(
      guard({ name: 'login', fullPath: '/login', meta: { public: true } }, { isAuthenticated: false, roles: [] }),
    ).toBe(true);
  });
});
