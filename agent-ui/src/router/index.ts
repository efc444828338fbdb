import { createRouter, createWebHistory, type RouteLocationRaw, type Router } from 'vue-router';
import type { Role } from '@ringside/shared';
import { useSessionStore } from '../stores/session';

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without signing in. */
    public?: boolean;
    /** Reachable only with one of these roles (admins may do what supervisors do, as on the server). */
    roles?: Role[];
  }
}

/** Where a signed-in user starts: agents at their desk, supervisors at the wallboard. */
export function homeFor(roles: readonly Role[]): RouteLocationRaw {
  if (roles.includes('agent')) return { name: 'desk' };
  if (roles.includes('supervisor') || roles.includes('admin')) return { name: 'wallboard' };
  return { name: 'customers' };
}

/** History-mode routes; the server answers unknown paths with index.html. */
export function createAppRouter(): Router {
  // No base argument: the router takes it from index.html's <base href>, like the assets.
  const router = createRouter({
    history: createWebHistory(),
    routes: [
      { path: '/login', name: 'login', component: () => import('../views/LoginView.vue'), meta: { public: true } },
      { path: '/', name: 'home', redirect: () => homeFor(useSessionStore().roles) },
      { path: '/desk', name: 'desk', component: () => import('../views/AgentDeskView.vue'), meta: { roles: ['agent'] } },
      {
        path: '/wallboard',
        name: 'wallboard',
        component: () => import('../views/WallboardView.vue'),
        meta: { roles: ['supervisor', 'admin'] },
      },
      { path: '/customers', name: 'customers', component: () => import('../views/CustomerSearchView.vue') },
      { path: '/customers/:id', name: 'customer', component: () => import('../views/CustomerView.vue'), props: true },
      { path: '/callbacks', name: 'callbacks', component: () => import('../views/CallbacksView.vue'), meta: { roles: ['agent'] } },
      { path: '/:unknown(.*)*', redirect: '/' },
    ],
  });

  router.beforeEach(async (to): Promise<RouteLocationRaw | true> => {
    const session = useSessionStore();
    await session.restore();
    if (to.meta.public) return session.isAuthenticated && to.name === 'login' ? { name: 'home' } : true;
    if (!session.isAuthenticated) return to.fullPath === '/' ? { name: 'login' } : { name: 'login', query: { redirect: to.fullPath } };
    const allowed = to.meta.roles;
    if (allowed && !allowed.some((r) => session.roles.includes(r))) return homeFor(session.roles);
    return true;
  });

  return router;
}

/** Where to go after signing in: a path inside the console, never another site. */
export function afterLoginTarget(redirect: unknown): string {
  return typeof redirect === 'string' && redirect.startsWith('/') && !redirect.startsWith('//') ? redirect : '/';
}
