import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';

/** Headers browser SDKs send, and the ones they must be able to read back (rate limits). */
const ALLOW_HEADERS = 'x-sentry-auth, content-type, content-encoding, sentry-trace, baggage';
const EXPOSE_HEADERS = 'x-sentry-error, x-sentry-rate-limits, retry-after';

export interface Cors {
  /** The CORS headers for a request from this origin, or undefined when the origin is not allowed. */
  headersFor(origin: string): OutgoingHttpHeaders | undefined;
  /** The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`). */
  preflight(req: IncomingMessage): { status: number; headers: OutgoingHttpHeaders };
}

/**
 * CORS for browser SDKs, as Sentry answers it: the allowed origins (`*` for any, or exact origins
 * such as `https://app.example.com`), `POST` with the SDK's headers, and the rate-limit headers
 * exposed so the SDK can back off. Requests with no `Origin` (server SDKs) are not affected.
 */
export function createCors(allowedOrigins: readonly string[]): Cors {
  const any = allowedOrigins.includes('*');
  const origins = new Set(allowedOrigins.map((o) => o.replace(/\/$/, '').toLowerCase()));
  const headersFor = (origin: string): OutgoingHttpHeaders | undefined => {
    if (!any && !origins.has(origin.toLowerCase())) return undefined;
    return {
      'access-control-allow-origin': origin,
      'access-control-expose-headers': EXPOSE_HEADERS,
      vary: 'Origin',
    };
  };
  return {
    headersFor,
    preflight(req) {
      const origin = req.headers.origin;
      const allowed = origin ? headersFor(origin) : undefined;
      if (!allowed) return { status: 403, headers: {} };
      return {
        status: 204,
        headers: {
          ...allowed,
          'access-control-allow-methods': 'POST, OPTIONS',
          'access-control-allow-headers': ALLOW_HEADERS,
          'access-control-max-age': '3600',
        },
      };
    },
  };
}
