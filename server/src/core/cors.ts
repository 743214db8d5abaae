/**
 * CORS, off unless an allow-list of origins is configured (`CORS_ALLOW_ORIGINS`). Browsers on
 * a listed origin get a preflight answer and may read `ETag`, `Location` and `Retry-After`;
 * any other origin gets no `Access-Control-*` header at all, so the browser blocks the read.
 * No credentials mode: the API authenticates with SigV4 headers (IAM), not cookies.
 */
import type { ApiRequest, ApiResponse } from './request.js';

/** Request headers a page may send: the contract's, and SigV4's for IAM-authorised calls. */
const ALLOW_HEADERS = [
  'Authorization',
  'Content-Type',
  'If-Match',
  'X-Amz-Content-Sha256',
  'X-Amz-Date',
  'X-Amz-Security-Token',
  'X-Request-Id',
].join(', ');
/** Response headers a page may read besides the CORS-safelisted ones. */
const EXPOSE_HEADERS = 'ETag, Location, Retry-After';
/** How long a browser may reuse a preflight answer. */
const MAX_AGE_SECONDS = '600';

export interface Cors {
  /** The answer to a CORS preflight from an allowed origin; `undefined` for any other request. */
  preflight(request: ApiRequest): ApiResponse | undefined;
  /** `response` with the CORS headers `request`'s origin is entitled to (none if not allowed). */
  decorate(request: ApiRequest, response: ApiResponse): ApiResponse;
}

/**
 * @param allowOrigins origins exactly as browsers send them in `Origin`; `undefined` or empty
 *   turns CORS off (no header is ever added, and `OPTIONS` stays a 405).
 * @param methodsAt the methods the contract serves at a path, `undefined` for unknown paths.
 */
export function createCors(
  allowOrigins: readonly string[] | undefined,
  methodsAt: (path: string) => readonly string[] | undefined,
): Cors {
  const allowed = new Set(allowOrigins ?? []);
  const originOf = (request: ApiRequest): string | undefined => {
    const origin = request.headers.origin;
    return origin !== undefined && allowed.has(origin) ? origin : undefined;
  };

  return {
    preflight(request) {
      if (allowed.size === 0 || request.method !== 'OPTIONS') return undefined;
      const origin = originOf(request);
      const methods = methodsAt(request.path);
      if (
        origin === undefined ||
        methods === undefined ||
        request.headers['access-control-request-method'] === undefined
      ) {
        return undefined;
      }
      return {
        statusCode: 204,
        headers: {
          'access-control-allow-origin': origin,
          'access-control-allow-methods': methods.join(', '),
          'access-control-allow-headers': ALLOW_HEADERS,
          'access-control-max-age': MAX_AGE_SECONDS,
          vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
        },
        body: '',
      };
    },

    decorate(request, response) {
      if (allowed.size === 0) return response;
      const origin = originOf(request);
      // Vary on every answer: a cache must not hand one origin's answer to another.
      const headers: Record<string, string> = { ...response.headers, vary: 'Origin' };
      if (origin !== undefined) {
        headers['access-control-allow-origin'] = origin;
        headers['access-control-expose-headers'] = EXPOSE_HEADERS;
      }
      return { ...response, headers };
    },
  };
}
