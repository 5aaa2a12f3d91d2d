import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` needs nothing (no Redis, no network beyond loopback servers a test starts
 * itself); `integration` and `package` get one Redis from the global setup (a throwaway redis-server,
 * or REDIS_URL). `npm run test:unit` runs the first alone.
 */
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/package/**/*.test.ts'],
          globalSetup: ['test/setup/redis-server.ts'],
        },
      },
    ],
  },
});
