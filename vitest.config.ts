import { defineConfig } from 'vitest/config';

// Test tiers by name: *.test.ts (fast, no server), *.int.test.ts (real database, real HTTP
// and sockets on port 0). `npm test` runs every tier.
const exclude = ['**/node_modules/**', '**/dist/**'];

export default defineConfig({
  test: {
    projects: [
      'agent-ui/vitest.config.ts',
      'agent-ui/vitest.e2e.config.ts',
      {
        test: {
          name: 'unit',
          include: ['{shared,telephony,server,scripts}/**/*.test.ts'],
          exclude: [...exclude, '**/*.int.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{shared,telephony,server,scripts}/**/*.int.test.ts'],
          exclude,
          globalSetup: ['server/src/testing/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
