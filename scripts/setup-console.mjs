#!/usr/bin/env node
// @ts-check
// `node scripts/setup-console.mjs` (npm install's postinstall): builds the agent console when it is
// missing or older than its sources (server/src/http/console-build.mjs), with a line on what happens.
import { relative } from 'node:path';
import { CONSOLE_DIST, ConsoleBuildError, buildConsole, consoleBuildState } from '../server/src/http/console-build.mjs';

const say = (/** @type {string} */ line) => process.stderr.write(`ringside: ${line}\n`);
const where = relative(process.cwd(), CONSOLE_DIST) || CONSOLE_DIST;
if (process.env.RINGSIDE_SKIP_CONSOLE_BUILD === '1') {
  say('agent console build skipped (RINGSIDE_SKIP_CONSOLE_BUILD=1)');
  process.exit(0);
}
const status = consoleBuildState();
if (status.state === 'fresh') {
  say(`agent console ready (${status.reason})`);
  process.exit(0);
}
if (status.state === 'unbuildable') {
  say(`agent console not built: ${status.reason}; \`npm run build\` builds it later`);
  process.exit(0);
}
say(`building the agent console into ${where} (${status.reason}); this takes a few seconds`);
buildConsole().then(
  ({ ms }) => say(`agent console built in ${(ms / 1000).toFixed(1)}s: ${where}`),
  (/** @type {unknown} */ err) => {
    const output = err instanceof ConsoleBuildError && err.output ? `:\n${err.output}` : '';
    say(`${err instanceof Error ? err.message : String(err)}${output}`);
    say('`npm start` will try again; `npm run build -w agent-ui` shows the type errors too');
    process.exit(1);
  },
);
