/**
 * The hand-written front over the generated functions (`gen/sdk.gen.ts`): one call per operation
 * of openapi.yaml, errors as `ProblemError` / `NetworkError` / `TimeoutError`, the `ETag` of every
 * versioned answer returned beside the item and sent back as `If-Match` on request.
 */
import type { Options as KyOptions } from 'ky';
import { isTimeoutError as isKyTimeoutError } from 'ky';
import { NetworkError, ProblemError, TimeoutError, toProblem } from './errors.js';
import { createClient as createGeneratedClient } from './gen/client/index.gen.js';
import * as operations from './gen/sdk.gen.js';
import type {
  CreateItemData,
  GetItemData,
  GetItemResponses,
  UpdateItemData,
} from './gen/types.gen.js';
import { type RetryOptions, toKyRetry } from './retry.js';

/** An item: any JSON object with a `user_id` (schema `Item`). */
export type Item = GetItemResponses[200];
/** The key of an item: 1 to 512 characters (schema `UserId`). */
export type UserId = GetItemData['query']['user_id'];
/** What `createItem` sends (schema `Item`). */
export type NewItem = CreateItemData['body'];
/** What `updateItem` sends: set `updatedKey` of item `user_id` to `updatedValue`. */
export type ItemUpdate = UpdateItemData['body'];

/** Headers as name → value. */
export type HeaderMap = Readonly<Record<string, string>>;

/**
 * How a client reaches the API; only `baseUrl` is required.
 *
 * @example
 * ```ts
 * const api = createClient({
 *   baseUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
 *   timeout: 5_000,
 *   retry: { limit: 3 },
 *   apiKey: 'my-usage-plan-key',
 * });
 * ```
 */
export interface ClientOptions {
  /**
   * Where the API is, without the `/dynamo` path: `http://127.0.0.1:3000` for `npm start`, the
   * stage URL (`https://ID.execute-api.REGION.amazonaws.com/STAGE`) when deployed.
   */
  readonly baseUrl: string;
  /**
   * Time limit of one attempt, in ms, or `false` for none. Default `15_000`: longer than the
   * server's own bound on DynamoDB, so an outage arrives as its 503, not as a client timeout.
   */
  readonly timeout?: number | false;
  /**
   * Retries of 429 and 503 answers (honouring `Retry-After`) and of failed connections, for
   * `getItem`, `updateItem` and `deleteItem`; `createItem` is never retried. A number is the
   * retry limit; `false` turns retries off. Default: up to 2 retries.
   */
  readonly retry?: RetryOptions | number | false;
  /** Headers sent with every request, or a function that returns them before each attempt. */
  readonly headers?: HeaderMap | (() => HeaderMap | Promise<HeaderMap>);
  /** An API Gateway API key, sent as `x-api-key`. */
  readonly apiKey?: string;
  /**
   * A bearer token (for a JWT or Lambda authorizer), or a function that returns one before each
   * attempt, so a refreshed token is picked up by retries. Sent as `Authorization: Bearer ...`.
   */
  readonly bearerToken?: string | (() => string | Promise<string>);
  /**
   * The `fetch` to send requests with: `createSigV4Fetch()` from `@dynamo-crud/sdk/sigv4` for an
   * IAM-authorized API, or your own. Default: the global `fetch`.
   */
  readonly fetch?: typeof fetch;
}

/** Options of one call. */
export interface CallOptions {
  /** Aborts the call, retries and waits included; it then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Time limit of each attempt of this call, in ms (overrides the client's). */
  readonly timeout?: number | false;
  /** Extra headers for this call. */
  readonly headers?: HeaderMap;
}

/** Options of a call that writes to an existing item. */
export interface WriteOptions extends CallOptions {
  /**
   * Write only if nobody changed the item since you read it: the `etag` of an earlier result,
   * or that result itself. A stale one fails with a 412 `ProblemError` and writes nothing. `'*'`
   * means "if it exists". Leave it out to write unconditionally.
   */
  readonly ifMatch?: string | { readonly etag: string };
}

/** An item and its version. */
export interface ItemResult {
  readonly item: Item;
  /** The item's version as a strong entity tag (`"3"`): pass it (or this result) as `ifMatch`. */
  readonly etag: string;
}

/** A created item, its version and where it can be read. */
export interface CreateItemResult extends ItemResult {
  /**
   * The item's URL: the `Location` header (`?user_id=ada`, a reference relative to the request)
   * resolved against the URL the item was POSTed to (RFC 9110 §10.2.2), so it keeps the stage
   * and any base path, e.g. `https://api.example.com/prod/dynamo?user_id=ada`.
   */
  readonly location: string;
}

/** The item as it was before deletion. */
export interface DeleteItemResult {
  readonly item: Item;
}

/** The four operations of the API. Create one with `createClient`. */
export interface DynamoCrudClient {
  /**
   * Reads an item. Throws a 404 `ProblemError` when no item has `userId`.
   *
   * @example
   * ```ts
   * const { item, etag } = await api.getItem('ada');
   * ```
   */
  getItem(userId: UserId, options?: CallOptions): Promise<ItemResult>;
  /**
   * Creates an item; never overwrites: an existing `user_id` is a 409 `ProblemError`. Never
   * retried (see `RetryOptions`).
   *
   * @example
   * ```ts
   * const { item, etag } = await api.createItem({ user_id: 'ada', name: 'Ada', visits: 1 });
   * ```
   */
  createItem(item: NewItem, options?: CallOptions): Promise<CreateItemResult>;
  /**
   * Sets one attribute of an existing item (never creates one: 404). With `ifMatch`, only if
   * the item is still at that version (else 412).
   *
   * @example
   * ```ts
   * const read = await api.getItem('ada');
   * const { item, etag } = await api.updateItem(
   *   { user_id: 'ada', updatedKey: 'name', updatedValue: 'Ada Lovelace' },
   *   { ifMatch: read },
   * );
   * ```
   */
  updateItem(update: ItemUpdate, options?: WriteOptions): Promise<ItemResult>;
  /**
   * Deletes an item and returns it as it was. With `ifMatch`, only if the item is still at
   * that version (else 412).
   *
   * @example
   * ```ts
   * const { item } = await api.deleteItem('ada', { ifMatch: etag });
   * ```
   */
  deleteItem(userId: UserId, options?: WriteOptions): Promise<DeleteItemResult>;
}

const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * A client for the API at `baseUrl`. Calls resolve to the item (and its `etag`) or throw a
 * `ProblemError` (the API's error answer), a `NetworkError` or a `TimeoutError`.
 *
 * @example
 * ```ts
 * import { createClient } from '@dynamo-crud/sdk';
 *
 * const api = createClient({ baseUrl: 'http://127.0.0.1:3000' });
 * const created = await api.createItem({ user_id: 'ada', name: 'Ada' });
 * const updated = await api.updateItem(
 *   { user_id: 'ada', updatedKey: 'name', updatedValue: 'Ada Lovelace' },
 *   { ifMatch: created },
 * );
 * await api.deleteItem('ada', { ifMatch: updated });
 * ```
 */
export function createClient(options: ClientOptions): DynamoCrudClient {
  const staticHeaders: Record<string, string> = {};
  if (options.apiKey !== undefined) staticHeaders['x-api-key'] = options.apiKey;
  if (typeof options.bearerToken === 'string') {
    staticHeaders.authorization = `Bearer ${options.bearerToken}`;
  }
  if (typeof options.headers === 'object') Object.assign(staticHeaders, options.headers);

  const client = createGeneratedClient({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    throwOnError: true,
    headers: staticHeaders,
    timeout: options.timeout ?? DEFAULT_TIMEOUT_MS,
    retry: toKyRetry(options.retry),
    kyOptions: kyOptions(options),
  });
  client.interceptors.error.use(toSdkError);

  return {
    async getItem(userId, call = {}) {
      const { data, response } = await operations.getItem({
        client,
        query: { user_id: userId },
        ...perCall(call),
      });
      return { item: data, etag: requiredHeader(response, 'ETag') };
    },

    async createItem(item, call = {}) {
      const { data, response } = await operations.createItem({
        client,
        body: item,
        ...perCall(call),
      });
      return {
        item: data,
        etag: requiredHeader(response, 'ETag'),
        location: resolveReference(requiredHeader(response, 'Location'), response.url),
      };
    },

    async updateItem(update, call = {}) {
      const { data, response } = await operations.updateItem({
        client,
        body: update,
        ...perCall(call, ifMatchHeader(call.ifMatch)),
      });
      return { item: data, etag: requiredHeader(response, 'ETag') };
    },

    async deleteItem(userId, call = {}) {
      const { data } = await operations.deleteItem({
        client,
        query: { user_id: userId },
        ...perCall(call, ifMatchHeader(call.ifMatch)),
      });
      return { item: data };
    },
  };
}

/** Headers that must be computed before each attempt go in a ky hook, which retries run too. */
function kyOptions(options: ClientOptions): Omit<KyOptions, 'method' | 'prefixUrl'> {
  const { headers, bearerToken } = options;
  const dynamicHeaders = typeof headers === 'function' ? headers : undefined;
  const dynamicToken = typeof bearerToken === 'function' ? bearerToken : undefined;
  return {
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    hooks: {
      beforeRequest:
        dynamicHeaders === undefined && dynamicToken === undefined
          ? []
          : [
              async (request) => {
                if (dynamicHeaders !== undefined) {
                  for (const [name, value] of Object.entries(await dynamicHeaders())) {
                    request.headers.set(name, value);
                  }
                }
                if (dynamicToken !== undefined) {
                  request.headers.set('authorization', `Bearer ${await dynamicToken()}`);
                }
              },
            ],
    },
  };
}

function perCall(call: CallOptions, extraHeaders: HeaderMap = {}) {
  const headers = { ...call.headers, ...extraHeaders };
  return {
    ...(call.signal === undefined ? {} : { signal: call.signal }),
    ...(call.timeout === undefined ? {} : { timeout: call.timeout }),
    ...(Object.keys(headers).length === 0 ? {} : { headers }),
  };
}

function ifMatchHeader(ifMatch: WriteOptions['ifMatch']): HeaderMap {
  if (ifMatch === undefined) return {};
  const value = typeof ifMatch === 'string' ? ifMatch : ifMatch.etag;
  // An empty If-Match would match no version: almost surely a lost ETag, not a wish for a 412.
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TypeError('ifMatch is empty: pass the etag of an earlier result, or that result');
  }
  return { 'If-Match': value };
}

/**
 * A header the contract says every such answer has. A browser hides response headers from a
 * cross-origin page unless the API lists them in `Access-Control-Expose-Headers`.
 */
/** `reference` resolved against `base` (RFC 3986 §5.2); as it is when there is no base URL. */
function resolveReference(reference: string, base: string): string {
  return base === '' ? reference : new URL(reference, base).href;
}

function requiredHeader(response: Response, name: 'ETag' | 'Location'): string {
  const value = response.headers.get(name);
  if (value === null) {
    throw new Error(
      `The ${response.status} answer has no readable ${name} header, which the contract requires. ` +
        `Across origins in a browser, the API must expose it (Access-Control-Expose-Headers: ${name}).`,
    );
  }
  return value;
}

/**
 * The generated client's error interceptor: an error answer (its body already parsed) becomes a
 * `ProblemError`; a failed or timed-out request a `NetworkError` or `TimeoutError`. Anything
 * else (an abort, a bug) is passed on as it is.
 */
function toSdkError(
  error: unknown,
  response: Response | undefined,
  request: Request | undefined,
): unknown {
  if (response !== undefined && !response.ok) {
    return new ProblemError(toProblem(error, response), response);
  }
  if (request === undefined) return error;
  const { method, url } = request;
  if (isKyTimeoutError(error)) return new TimeoutError(method, url, error);
  if (
    error instanceof Error ||
    (typeof DOMException !== 'undefined' && error instanceof DOMException)
  ) {
    // `AbortSignal.timeout()` passed as `signal` rejects with a DOMException named TimeoutError.
    if (error.name === 'TimeoutError') return new TimeoutError(method, url, error);
    if (error.name === 'AbortError') return error;
    // fetch rejects with a TypeError when no answer came (refused, reset, DNS, CORS).
    if (error instanceof TypeError && response === undefined) {
      return new NetworkError(method, url, error);
    }
  }
  return error;
}
