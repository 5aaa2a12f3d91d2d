/**
 * The Novita client against the fake Novita: a listing, a fault it survives, one it refuses to hide,
 * and an instance's lifecycle. It starts its own fake Novita: nothing to set up.
 *
 * Run:
 *   node --import tsx examples/novita-client.ts
 */
import { isReconcilerError } from '../src/errors.js';
import { createNovitaClient } from '../src/novita/index.js';
import { startFakeNovita } from '../src/testing/fake-novita/index.js';

async function main(): Promise<void> {
  const fake = await startFakeNovita({ firstPageNum: 0, transitionStepMs: 0, removedVisibleMs: 0 });
  try {
    fake.addInstances(25, (index) => ({ name: `worker-${index}` }));
    const novita = createNovitaClient({ apiKey: fake.apiKey, baseUrl: fake.url, pageSize: 10, retry: { baseDelayMs: 20 } });

    const listing = await novita.listInstances();
    console.log(`listed ${listing.instances.length} of ${listing.total}; pages count from ${String(novita.firstPageNum)}`);

    // A 503 once: retried, invisible to the caller.
    fake.fault({ endpoint: 'list', page: 2, kind: 'error', status: 503 });
    console.log(`after a 503: ${(await novita.listInstances()).instances.length} instances`);

    // Page 3 keeps failing: the listing rejects instead of resolving 20 of 25.
    fake.fault({ endpoint: 'list', page: 3, kind: 'error', status: 503, times: Infinity });
    try {
      await novita.listInstances();
    } catch (error) {
      if (!isReconcilerError(error, 'NOVITA_INCOMPLETE_LISTING')) throw error;
      console.log(`refused: ${error.message}`);
    }
    fake.clearFaults();

    const { id } = await novita.createInstance({
      productId: '4090.16c62g',
      gpuNum: 1,
      rootfsSize: 60,
      imageUrl: 'docker.io/library/python:3.11',
      kind: 'gpu',
      name: 'example',
    });
    console.log(`created ${id}: ${(await novita.getInstance(id))?.status}`);
    await novita.deleteInstance(id);
    console.log(`after delete: ${(await novita.getInstance(id))?.status ?? 'gone (null)'}`);
  } finally {
    await fake.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
