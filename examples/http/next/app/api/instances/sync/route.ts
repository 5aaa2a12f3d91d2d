/**
 * `POST /api/instances/sync` in a Next.js App Router app: this file is used as it is, at this path
 * (with lib/ at your app's root or wherever `@/lib` points). Only `POST` is exported, so Next answers
 * any other method with 405 itself; the adapter would too. An empty POST syncs with the defaults, a
 * JSON or form body (`dryRun=true`) is understood, and anything else is refused before a sync runs.
 *
 * Used as: app/api/instances/sync/route.ts of a Next.js app (`next dev`, `next start`); the tests import it and call it with a Request
 */
import { createSyncHandler, toFetchHandler } from 'novita-reconciler/http';
import { reconciler } from '../../../../lib/reconciler';
import { withAdminToken } from '../../../../lib/with-admin-token';

// ioredis and the Novita client need Node, not the Edge runtime.
export const runtime = 'nodejs';

export const POST = withAdminToken(toFetchHandler(createSyncHandler(reconciler)));
