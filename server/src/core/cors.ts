/**
 * CORS, off unless an allow-list of origins is configured (`CORS_ALLOW_ORIGINS`). Browsers on
 * a listed origin get a preflight answer and may read `ETag`, `Location`, `Retry-After` and
 * `Idempotent-Replayed`; any other origin gets no `Access-Control-*` header at all, so the
 * browser blocks the read.
 * No credentials mode: the API authenticates with headers (SigV4, API keys, tokens), not cookies.
 */
import type { OperationSpec } from './openapi/operation.js';
import type { ApiRequest, ApiResponse } from './request.js';

/**
 * What API Gateway authenticates with, as `@dynamo-crud/sdk` sends it: `Authorization` (IAM
 * SigV4, JWT and Lambda authorizers, the SDK's `bearerToken`), `X-Api-Key` (usage-plan API keys,
 * the SDK's `apiKey`), and the other headers a SigV4 signature adds (AWS, "Elements of an AWS
 * API request signature"). None is in openapi.yaml: authorization is the deployment's choice.
 */
const AUTH_HEADERS = [
  'Authorization',
  'X-Api-Key',
  'X-Amz-Content-Sha256',
  'X-Amz-Date',
  'X-Amz-Security-Token',
];
/** Read by the API itself to correlate its logs with the caller's. */
const CORRELATION_HEADERS = ['X-Request-Id'];
/** Response headers a page may read besides the CORS-safelisted ones. */
const EXPOSE_HEADERS = 'ETag, Location, Retry-After, Idempotent-Replayed';
/** How long a browser may reuse a preflight answer. */
const MAX_AGE_SECONDS = '600';

export interface Cors {
  /** The answer to a CORS preflight from an allowed origin; `undefined` for any other request. */
  preflight(request: ApiRequest): ApiResponse | undefined;
  /** `response` with the CORS headers `request`'s origin is entitled to (none if not allowed). */
  decorate(request: ApiRequest, response: ApiResponse): ApiResponse;
}

/**
 * The request headers a page may send (`Access-Control-Allow-Headers`), derived rather than
 * listed: every header parameter of `operations` (openapi.yaml), `Content-Type` when one takes a
 * body (`application/json` is not CORS-safelisted), the authentication and correlation headers
 * above, then `extra` (`CORS_ALLOW_HEADERS`: an app's own). Each name once, case-insensitively,
 * in that order.
 */
export function allowedRequestHeaders(
  operations: readonly OperationSpec[],
  extra: readonly string[] = [],
): string[] {
  const names = new Map<string, string>();
  const add = (name: string) => {
    if (!names.has(name.toLowerCase())) names.set(name.toLowerCase(), name);
  };
  for (const operation of operations) {
    for (const header of operation.headers) add(header.name);
    if (operation.requestBody !== undefined) add('Content-Type');
  }
  for (const name of [...AUTH_HEADERS, ...CORRELATION_HEADERS, ...extra]) add(name);
  return [...names.values()];
}

/**
 * @param allowOrigins origins exactly as browsers send them in `Origin`; `undefined` or empty
 *   turns CORS off (no header is ever added, and `OPTIONS` stays a 405).
 * @param methodsAt the methods the contract serves at a path, `undefined` for unknown paths.
 * @param allowHeaders the request headers a page may send (`allowedRequestHeaders`).
 */
export function createCors(
  allowOrigins: readonly string[] | undefined,
  methodsAt: (path: string) => readonly string[] | undefined,
  allowHeaders: readonly string[],
): Cors {
  const allowed = new Set(allowOrigins ?? []);
  const allowHeadersValue = allowHeaders.join(', ');
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
          'access-control-allow-headers': allowHeadersValue,
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
