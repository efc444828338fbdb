import express, { Router } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CONSOLE_DIST, ConsoleBuildError, buildConsole, consoleBuildState } from './console-build.mjs';
import type { Logger } from '../logger';

/**
 * Serves the built console at `/`, with the history-mode fallback to index.html for its
 * routes. Without a build, `/` says how to make one. A build that appears later (built by
 * another process) is served from then on.
 */
export function consoleRoutes(dist = CONSOLE_DIST): Router {
  const router = Router();
  const index = join(dist, 'index.html');
  let built = existsSync(index);
  router.use(express.static(dist, { index: false, maxAge: '1h' }));
  router.get(/^(?!\/(api|telephony|socket\.io|healthz|metrics)(\/|$)).*/, (_req, res) => {
    built ||= existsSync(index);
    if (built) res.sendFile(index, { maxAge: 0 });
    else
      res
        .status(404)
        .type('text/plain')
        .send('The agent console is not built yet: run `npm run build`, then reload this page.\n');
  });
  return router;
}

/**
 * On start: builds the console when it is missing (a fresh clone whose `npm install` did not
 * build it), or older than its sources under `npm start`. Under `npm run dev` a stale build is
 * left as it is (the server restarts often there; Vite's dev server has the live console).
 * In production the image carries its build; nothing is built at run time. A failed build is
 * logged and the API starts anyway.
 */
export async function prepareConsole(opts: {
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  production: boolean;
}): Promise<void> {
  const { logger } = opts;
  const status = consoleBuildState();
  if (status.state === 'fresh') return;
  if (opts.production || status.state === 'unbuildable') {
    if (!status.built)
      logger.warn(
        { reason: status.reason },
        'the agent console is not built: `/` answers 404 until `npm run build` has run',
      );
    else if (status.state === 'stale' || status.state === 'unbuildable')
      logger.warn(
        { reason: status.reason },
        'serving a console build older than its sources (`npm run build` rebuilds it)',
      );
    return;
  }
  if (status.state === 'stale' && process.env.npm_lifecycle_event === 'dev') {
    logger.info(
      'the built console is older than agent-ui sources: `npm run dev -w agent-ui` serves the live one (hot reload), `npm run build` rebuilds this one',
    );
    return;
  }
  logger.info({ reason: status.reason }, 'building the agent console (a few seconds)…');
  try {
    const { ms } = await buildConsole();
    logger.info({ ms, dist: 'agent-ui/dist' }, 'agent console built');
  } catch (err) {
    logger.error(
      {
        err: err instanceof Error ? err.message : String(err),
        output: err instanceof ConsoleBuildError ? err.output : undefined,
      },
      'building the agent console failed; the API runs without it',
    );
  }
}
