import { defineProject, mergeConfig } from 'vitest/config';
import viteConfig from './vite.config.ts';

// Runs as `npx vitest run --root agent-ui`, `npx vitest run --config agent-ui/vitest.config.ts`,
// `npm test -w agent-ui`, or as the `agent-ui` project of the root vitest.config.ts. Test files
// that need a DOM opt in with a `// @vitest-environment happy-dom` comment.
export default mergeConfig(
  viteConfig,
  defineProject({
    test: {
      name: 'agent-ui',
      include: ['src/**/*.test.ts'],
      exclude: ['**/node_modules/**', '**/dist/**', 'e2e/**'],
    },
  }),
);
