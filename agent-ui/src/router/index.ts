import {
  createRouter,
  createWebHistory,
  type RouteLocationNormalized,
  type RouteLocationRaw,
  type Router,
  type RouterHistory,
} from 'vue-router';
import type { Role } from '@ringside/shared';
import { useSessionStore } from '../stores/session';
// Not lazy: the desk is where an agent starts and where a call's card appears. With its card and
// pop components in the entry chunk, nothing is fetched between a `screenpop` event and the card
// on screen, even for an agent who was on another page when the call came.
import AgentDeskView from '../views/AgentDeskView.vue';

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without signing in. */
    public?: boolean;
    /** Reachable only with one of these roles (admins may do what supervisors do, as on the server). */
    roles?: Role[];
  }
}

/** Where a signed-in user starts: agents at their desk, supervisors and admins at the wallboard, legal at its referrals. */
export function homeFor(roles: readonly Role[]): RouteLocationRaw {
  if (roles.includes('agent')) return { name: 'desk' };
  if (roles.includes('supervisor') || roles.includes('admin')) return { name: 'wallboard' };
  if (roles.includes('legal')) return { name: 'referrals' };
  return { name: 'customers' };
}

/** Who the guard sees: the session store, or a plain object in tests. */
export interface GuardSession {
  isAuthenticated: boolean;
  roles: readonly Role[];
}

/**
 * Where a navigation may go. `/` is nobody's page: signed in, it is the user's own start page;
 * signed out, it is the sign-in page without a `redirect` (so that signing in then lands on the
 * start page of whoever signs in). Any other page asked for signed out is remembered in `redirect`.
 */
export function guard(
  to: Pick<RouteLocationNormalized, 'name' | 'fullPath' | 'meta'>,
  session: GuardSession,
): RouteLocationRaw | true {
  if (to.meta.public) return session.isAuthenticated && to.name === 'login' ? homeFor(session.roles) : true;
  if (!session.isAuthenticated)
    return to.name === 'home' ? { name: 'login' } : { name: 'login', query: { redirect: to.fullPath } };
  if (to.name === 'home') return homeFor(session.roles);
  const allowed = to.meta.roles;
  if (allowed && !allowed.some((r) => session.roles.includes(r))) return homeFor(session.roles);
  return true;
}

/** History-mode routes; the server answers unknown paths with index.html. Tests pass a memory history. */
export function createAppRouter(history: RouterHistory = createWebHistory()): Router {
  // createWebHistory() without a base: the router takes it from index.html's <base href>, like the assets.
  const router = createRouter({
    history,
    routes: [
      { path: '/login', name: 'login', component: () => import('../views/LoginView.vue'), meta: { public: true } },
      // Never shown: the guard sends `/` on to the user's start page (a route redirect would be
      // decided before the guard has restored the session, i.e. without knowing the user).
      { path: '/', name: 'home', component: { render: () => null } },
      {
        path: '/desk',
        name: 'desk',
        component: AgentDeskView,
        meta: { roles: ['agent'] },
      },
      {
        path: '/wallboard',
        name: 'wallboard',
        component: () => import('../views/WallboardView.vue'),
        meta: { roles: ['supervisor', 'admin'] },
      },
      {
        path: '/legal',
        name: 'referrals',
        component: () => import('../views/ReferralsView.vue'),
        meta: { roles: ['legal', 'admin'] },
      },
      { path: '/customers', name: 'customers', component: () => import('../views/CustomerSearchView.vue') },
      { path: '/customers/:id', name: 'customer', component: () => import('../views/CustomerView.vue'), props: true },
      {
        path: '/callbacks',
        name: 'callbacks',
        component: () => import('../views/CallbacksView.vue'),
        meta: { roles: ['agent'] },
      },
      { path: '/:unknown(.*)*', redirect: '/' },
    ],
  });

  router.beforeEach(async (to): Promise<RouteLocationRaw | true> => {
    const session = useSessionStore();
    await session.restore();
    return guard(to, session);
  });

  return router;
}

/** Where to go after signing in: a path inside the console, never another site; else the start page. */
export function afterLoginTarget(redirect: unknown): RouteLocationRaw {
  return typeof redirect === 'string' &&
    redirect.startsWith('/') &&
    !redirect.startsWith('//') &&
    !redirect.startsWith('/\\')
    ? redirect
    : { name: 'home' };
}
