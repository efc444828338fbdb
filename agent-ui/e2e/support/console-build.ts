import { buildConsoleSync, consoleBuildState } from '@ringside/server/testing';

/**
 * The server serves `agent-ui/dist`, so the console is built before the server starts: once
 * (`npm install` normally did it), and again only when a source changed. The same check and
 * build as `npm install` and `npm start` (server/src/http/console-build.mjs).
 */
export function ensureConsoleBuilt(): void {
  const status = consoleBuildState();
  if (status.state === 'fresh') return;
  if (status.state === 'unbuildable')
    throw new Error(`cannot build the console for the browser tests: ${status.reason}`);
  console.log(`agent-ui: ${status.reason}; building the console…`);
  const { ms } = buildConsoleSync();
  console.log(`agent-ui: console built in ${(ms / 1000).toFixed(1)}s`);
}
