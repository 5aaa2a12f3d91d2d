import { defineConfig } from 'vitest/config';

/**
 * Tests mirror src/ (test/core/plan/ tests src/core/plan/, ...). Two projects: `unit` needs nothing (no
 * Redis, no network beyond loopback servers a test starts itself: the Novita tests run here);
 * `integration` is the folders whose tests need a Redis (test/redis, the CLI, the examples) or the built
 * package (test/package), and gets one Redis from the global setup (a throwaway redis-server, or
 * REDIS_URL). `npm run test:unit` runs the first alone.
 */
const INTEGRATION = ['test/redis/**/*.test.ts', 'test/cli/**/*.test.ts', 'test/examples/**/*.test.ts', 'test/package/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [...INTEGRATION] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: INTEGRATION,
          globalSetup: ['test/setup/redis-server.ts'],
        },
      },
    ],
  },
});
