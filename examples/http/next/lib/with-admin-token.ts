/**
 * The admin check of the Next.js route handlers (`lib/with-admin-token.ts` in your app): a Fetch
 * handler that answers 401 unless the request carries `Authorization: Bearer $ADMIN_TOKEN`. The token
 * is read per request, for the reason lib/reconciler.ts builds the reconciler late; without one, every
 * request is refused with a 500 that says so. Next's `proxy.ts` (`middleware.ts` before Next 16) is the
 * other place for it, as long as it covers both routes.
 *
 * Part of: examples/http/next/app/api/instances/sync/route.ts
 */
import { isAdminAuthorization, UNAUTHORIZED_BODY } from '../../admin-token';

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });

/** `handler`, for requests with the admin token only. */
export function withAdminToken(handler: (request: Request) => Promise<Response>): (request: Request) => Promise<Response> {
  return async (request) => {
    const token = process.env.ADMIN_TOKEN?.trim();
    if (!token)
      return json(500, {
        success: false,
        error: { code: 'CONFIG_INVALID', message: 'ADMIN_TOKEN is not set: the endpoint refuses every request' },
      });
    if (!isAdminAuthorization(request.headers.get('authorization'), token)) return json(401, UNAUTHORIZED_BODY);
    return handler(request);
  };
}
