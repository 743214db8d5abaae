/**
 * The one shape of a request in the tests, whatever carries it (the local HTTP server, a REST
 * API or HTTP API event into the Lambda adapter), and the one shape of what came back.
 */
export type { SeenResponse } from '@dynamo-crud/contract-tests';

export interface TestRequest {
  readonly method: string;
  /** `/dynamo` unless given; as sent (percent-encoded). */
  readonly path?: string;
  /** Name → value(s), sent in this order; or the raw query string, as sent. */
  readonly query?: Readonly<Record<string, string | readonly string[]>> | string;
  /** Name → value, or pairs for a field sent more than once. */
  readonly headers?: Readonly<Record<string, string>> | ReadonlyArray<readonly [string, string]>;
  /** Sent as JSON, with `content-type: application/json` unless the headers give one. */
  readonly json?: unknown;
  /** Sent as it is: text, or bytes (base64-encoded in API Gateway events, as for binary). */
  readonly body?: string | Uint8Array;
}

/** A request as every transport sends it: the query raw, header pairs, the body as given. */
export interface WireRequest {
  readonly method: string;
  readonly path: string;
  /** As sent, without `?`. */
  readonly query: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: string | Uint8Array | undefined;
}

export function toWire(request: TestRequest): WireRequest {
  const headers: Array<readonly [string, string]> = Array.isArray(request.headers)
    ? [...request.headers]
    : Object.entries(request.headers ?? {});
  let body = request.body;
  if (request.json !== undefined) {
    body = JSON.stringify(request.json);
    if (!headers.some(([name]) => name.toLowerCase() === 'content-type')) {
      headers.push(['content-type', 'application/json']);
    }
  }
  let query = '';
  if (typeof request.query === 'string') {
    query = request.query;
  } else if (request.query !== undefined) {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(request.query)) {
      for (const v of typeof value === 'string' ? [value] : value) search.append(name, v);
    }
    query = search.toString();
  }
  return { method: request.method, path: request.path ?? '/dynamo', query, headers, body };
}
