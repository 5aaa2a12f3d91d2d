/**
 * `GET /api/instances` in a Next.js App Router app, used as it is at this path: the records merged
 * with Novita's view (`?includeNovitaOnly=false`, `?syncLocalState=true` as query fields).
 *
 * Used as: app/api/instances/route.ts of a Next.js app (`next dev`, `next start`); the tests import it and call it with a Request
 */
import { createListHandler, toFetchHandler } from 'novita-reconciler/http';
import { reconciler } from '../../../lib/reconciler';
import { withAdminToken } from '../../../lib/with-admin-token';

// ioredis and the Novita client need Node, not the Edge runtime.
export const runtime = 'nodejs';
// Never cached: every request reads the records and Novita now.
export const dynamic = 'force-dynamic';

export const GET = withAdminToken(toFetchHandler(createListHandler(reconciler)));
