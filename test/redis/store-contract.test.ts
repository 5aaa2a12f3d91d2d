import { afterAll, describe, it } from 'vitest';
import { defineStoreContract } from '../../src/testing/store-contract.js';
import { connectRedis, redisStoreHarness } from '../support/redis-test-kit.js';

const redis = connectRedis();
afterAll(async () => {
  await redis.quit();
});

defineStoreContract({ describe, it }, { name: 'Redis store (default layout)', create: () => redisStoreHarness(redis) });

// Small chunks, so the contract's batches span several script calls.
defineStoreContract(
  { describe, it },
  { name: 'Redis store (write chunks of 3, audit on)', create: () => redisStoreHarness(redis, { writeChunkSize: 3, audit: true }) },
);

// The portable scripts (meant for ioredis-mock) keep every promise on a real Redis too: plain-Lua
// SHA-1 with Redis's `bit` library, the status read without cjson.
defineStoreContract(
  { describe, it },
  {
    name: 'Redis store (portable scripts, write chunks of 5, audit on)',
    create: () => redisStoreHarness(redis, { scripts: 'portable', writeChunkSize: 5, audit: true }),
  },
);
