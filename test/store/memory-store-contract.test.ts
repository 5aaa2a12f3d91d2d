import { describe, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { defineStoreContract } from '../../src/testing/store-contract.js';

defineStoreContract(
  { describe, it },
  {
    name: 'memory store',
    create: () => {
      const store = createMemoryStore();
      return {
        store,
        writeRaw: async (id, text) => store.writeRaw(id, text),
        deleteRaw: async (id) => store.deleteRaw(id),
      };
    },
  },
);
