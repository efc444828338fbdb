import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

// Browser tests: the built console, served by the real server on a real database, driven in
// Debian's Chromium through playwright-core. A project of the root vitest.config.ts
// (`npx vitest run --project e2e`), or alone: `npx vitest run --config agent-ui/vitest.e2e.config.ts`.
export default defineProject({
  test: {
    name: 'e2e',
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['e2e/**/*.e2e.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    // One real MongoDB-wire server for the run; each test file takes a fresh database on it.
    globalSetup: [fileURLToPath(import.meta.resolve('@ringside/server/testing/global-setup'))],
    testTimeout: 120_000,
    // Building the console when it is missing or stale, starting the database, the browser.
    hookTimeout: 300_000,
    // One browser at a time on a 2-core machine.
    fileParallelism: false,
  },
});
