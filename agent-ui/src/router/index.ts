import { createRouter, createWebHistory, type RouteLocationRaw, type Router } from 'vue-router';
import { useSessionStore } from '../stores/session';

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without signing in. */
    public?: boolean;
  }
}

/** History-mode routes; the server answers unknown paths with index.html. */
export function createAppRouter(): Router {
  // No base argument: the router takes it from index.html's <base href>, like the assets.
  const router = createRouter({
    history: createWebHistory(),
    routes: [
      { path: '/login', name: 'login', component: () => import('../views/LoginView.vue'), meta: { public: true } },
      { path: '/', name: 'home', component: () => import('../views/HomeView.vue') },
      { path: '/:unknown(.*)*', redirect: '/' },
    ],
  });

  router.beforeEach(async (to): Promise<RouteLocationRaw | true> => {
    const session = useSessionStore();
    await session.restore();
    if (to.meta.public) return session.isAuthenticated && to.name === 'login' ? { name: 'home' } : true;
    if (session.isAuthenticated) return true;
    return to.fullPath === '/' ? { name: 'login' } : { name: 'login', query: { redirect: to.fullPath } };
  });

  return router;
}

/** Where to go after signing in: a path inside the console, never another site. */
export function afterLoginTarget(redirect: unknown): string {
  return typeof redirect === 'string' && redirect.startsWith('/') && !redirect.startsWith('//') ? redirect : '/';
}
