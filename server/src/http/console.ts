import express, { Router } from 'express';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Where `npm run build` puts the agent console. */
export const CONSOLE_DIST = fileURLToPath(new URL('../../../agent-ui/dist', import.meta.url));

/**
 * Serves the built console at `/`, with the history-mode fallback to index.html for its
 * routes. Without a build, `/` says how to make one.
 */
export function consoleRoutes(dist = CONSOLE_DIST): Router {
  const router = Router();
  const index = join(dist, 'index.html');
  const built = existsSync(index);
  if (built) router.use(express.static(dist, { index: false, maxAge: '1h' }));
  router.get(/^(?!\/(api|telephony|socket\.io|healthz|metrics)(\/|$)).*/, (_req, res) => {
    if (built) res.sendFile(index, { maxAge: 0 });
    else res.status(404).type('text/plain').send('The agent console is not built yet: run `npm run build`, then restart.\n');
  });
  return router;
}
