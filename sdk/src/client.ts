/**
 * The client: one call per operation of openapi.yaml, each resolving to its result (the item and
 * the `ETag` of its version, sent back as `If-Match` on request) or rejecting with one of the
 * SDK's errors (`errors.ts`). Each call is its operation (`operations.ts`), what it sends, and
 * how its answer becomes a result; `http.ts` does the rest.
 */
import type { Item, ItemPage, ListItemsData, MergePatch, UserId } from './gen/types.gen.js';
import {
  type Answer,
  checkHeaders,
  createTransport,
  describe,
  type HeaderRecord,
  type Outgoing,
} from './http.js';
import type { NumberMode } from './json.js';
import { OPERATIONS, type OperationData, type OperationId } from './operations.js';
import type { RetryOptions } from './retry.js';

// The contract's own `Item` (what getItem answers) and `UserId` (its `user_id`), exported under
// their names: an alias of the same name beside them made the bundled declarations call the
// generated ones `Item$1` and `UserId$1`, names a user then met in type errors.
export type { Item, UserId };
/** What `createItem` sends (schema `Item`). */
export type NewItem = OperationData['createItem']['body'];
/**
 * The attributes `updateItem` can set: the names `Item` allows, but `user_id`. With the shipped
 * open `Item` that is any `string`; with an `Item` that lists its properties and
 * `additionalProperties: false`, exactly those names.
 */
export type AttributeName = Exclude<keyof Item & string, 'user_id'>;
/**
 * The value attribute `K` takes, as `Item` types it (`unknown` for a name the schema leaves
 * open). `null` only where the schema allows it: the API stores `null`, it does not remove.
 */
export type AttributeValue<K extends AttributeName> = Exclude<Item[K], undefined>;
/**
 * What `updateItem` sends (schema `UpdateRequest`): set `updatedKey` of item `user_id` to
 * `updatedValue`, which must fit what `Item` says of that attribute.
 */
export interface ItemUpdate<K extends AttributeName = AttributeName> {
  readonly user_id: UserId;
  readonly updatedKey: K;
  readonly updatedValue: AttributeValue<K>;
}
/** Which page `listItems` reads (its `limit` and `cursor` parameters). */
export type PageRequest = NonNullable<ListItemsData['query']>;
/** The keys of `T` that it may leave out. */
type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
/**
 * A JSON Merge Patch (RFC 7396) of a value typed `T`: an object member by member, each optional,
 * `null` for a member `T` may leave out (it removes it); an array or any other value whole.
 */
export type MergePatchOf<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? {
        readonly [K in keyof T]?: MergePatchOf<T[K]> | (K extends OptionalKeys<T> ? null : never);
      }
    : T;
/**
 * What `mergeItem` sends: a JSON Merge Patch (RFC 7396) of the item `user_id`, typed by `Item`
 * (schema `MergePatch`). Each other member sets the attribute of its name, `null` removes it
 * (where `Item` lets it be left out), an object is merged into it.
 */
export type ItemMergePatch = Pick<MergePatch, 'user_id'> & MergePatchOf<Omit<Item, 'user_id'>>;

/** The media type of a JSON Merge Patch (RFC 7396 §4). */
const MERGE_PATCH = 'application/merge-patch+json';

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
   * Time limit of one attempt, in ms, or `false` for none: the whole answer, body included, must
   * arrive within it. Default `15_000`: longer than the server's own bound on DynamoDB, so an
   * outage arrives as its 503, not as a client timeout.
   */
  readonly timeout?: number | false;
  /**
   * Retries of 429 and 503 answers (honouring `Retry-After`) and of failed connections, for
   * every call: reads and deletes are idempotent, and `createItem`, `updateItem` and
   * `mergeItem` send an `Idempotency-Key`, the same with each attempt, so that a retry after a
   * lost answer gets that answer instead of writing again (and a 409 with `Retry-After`, the
   * first attempt still running, is retried too). A number is the retry limit; `false` turns
   * retries off. Default: up to 2 retries.
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
  /**
   * How numbers travel. The API keeps every number exactly (DynamoDB holds 38 significant
   * digits); a JavaScript `number` holds about 15.
   * - `'number'` (default): every number is a `number`. A `bigint` or `ExactNumber` you send is a
   *   `TypeError`, and an answer holding a number a `number` would change (such as
   *   `12345678901234567890123`) rejects with a `ResponseError` rather than rounding it.
   * - `'exact'`: integers beyond ±(2^53 − 1) are `bigint`s and other numbers a `number` would
   *   change are `ExactNumber`s, in answers and in what you send; every other number is a
   *   `number`.
   * Either way `NaN` and `±Infinity` are a `TypeError`: JSON has no such numbers.
   */
  readonly numbers?: NumberMode;
}

/** Options of one call. */
export interface CallOptions {
  /** Aborts the call, retries and waits included; it then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Time limit of each attempt of this call, in ms, body included (overrides the client's). */
  readonly timeout?: number | false;
  /** Extra headers for this call. */
  readonly headers?: HeaderMap;
}

/** Options of a call that writes to an existing item. */
export interface WriteOptions extends CallOptions {
  /**
   * Write only if nobody changed the item since you read it: the `etag` of an earlier result,
   * or that result itself. A stale one (the item changed, or was deleted and created again)
   * fails with a 412 `ProblemError` and writes nothing. `'*'` means "if it exists". Leave it
   * out to write unconditionally.
   */
  readonly ifMatch?: string | { readonly etag: string };
}

/** Options of a call that writes: its `Idempotency-Key`. */
export interface IdempotencyOptions {
  /**
   * The `Idempotency-Key` to send with every attempt of this call: 1 to 255 printable ASCII
   * characters, unique to the request (the API keeps one namespace of keys for all callers).
   * Give your own to retry a call yourself, later or from another process, without writing
   * twice: send the same request with the same key. Default: a new random UUID per call.
   */
  readonly idempotencyKey?: string;
}

/** Options of `createItem`. */
export interface CreateOptions extends CallOptions, IdempotencyOptions {}

/** Options of `updateItem` and `mergeItem`. */
export interface UpdateOptions extends WriteOptions, IdempotencyOptions {}

/** An item and its version. */
export interface ItemResult {
  readonly item: Item;
  /**
   * The item's `ETag`, a strong entity tag naming this state of it and no other, ever
   * (`"3.Hm7kQx0pZr1c"`): opaque, pass it (or this result) as `ifMatch`.
   */
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

/** One page of a listing. */
export interface ItemPageResult {
  /** The page's items, each with its version, in no particular order. */
  readonly items: readonly ItemResult[];
  /** Where the next page starts: pass it as `cursor`. Absent on the last page. */
  readonly cursor?: string;
}

/** Options of `items()`: those of each page's call, and the page size. */
export interface ItemsOptions extends CallOptions {
  /** Items per page, 1 to 100; default the API's (25). Fewer pages cost fewer requests. */
  readonly limit?: number;
}

/** The item as it was before deletion. */
export interface DeleteItemResult {
  readonly item: Item;
}

/** The operations of the API. Create one with `createClient`. */
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
   * Creates an item; never overwrites: an existing `user_id` is a 409 `ProblemError`. Retried
   * safely: every attempt sends the call's `Idempotency-Key`, so a retry after a lost answer
   * gets the 201 of the first attempt, not a 409.
   *
   * @example
   * ```ts
   * const { item, etag } = await api.createItem({ user_id: 'ada', name: 'Ada', visits: 1 });
   * ```
   */
  createItem(item: NewItem, options?: CreateOptions): Promise<CreateItemResult>;
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
  updateItem<K extends AttributeName>(
    update: ItemUpdate<K>,
    options?: UpdateOptions,
  ): Promise<ItemResult>;
  /**
   * Changes an existing item with a JSON Merge Patch (RFC 7396), in one write: each member sets
   * the attribute of its name, `null` removes it, an object is merged into it (arrays are
   * replaced whole). Never creates an item (404). With `ifMatch`, only if the item is still at
   * that version (else 412). The item made must be one `createItem` would take (else 400).
   *
   * @example
   * ```ts
   * const { item, etag } = await api.mergeItem(
   *   { user_id: 'ada', name: 'Ada Lovelace', nickname: null, address: { city: 'London' } },
   *   { ifMatch: read },
   * );
   * ```
   */
  mergeItem(patch: ItemMergePatch, options?: UpdateOptions): Promise<ItemResult>;
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
  /**
   * Reads one page of items: up to `limit` (1 to 100, default 25) from where `cursor` (the
   * `cursor` of the page before) says, and the `cursor` of the next page unless this is the
   * last. Each page is one Scan of the table: see the README's "What a listing costs". A
   * changed, cut-short or foreign cursor is a 400 `ProblemError`. Retried like `getItem`.
   *
   * @example
   * ```ts
   * const first = await api.listItems({ limit: 50 });
   * const second = first.cursor === undefined ? undefined : await api.listItems({ cursor: first.cursor });
   * ```
   */
  listItems(page?: PageRequest, options?: CallOptions): Promise<ItemPageResult>;
  /**
   * Every item, page by page: an async iterator that asks for the first page when first
   * iterated and for the next page only when the one before is used up, so at most one page is
   * in memory. Each page is retried like `getItem`; `signal` stops the iteration (it then
   * rejects with the signal's reason); a `break` stops it without asking for another page.
   * An item created or deleted during the listing may or may not appear; none appears twice,
   * and none that existed throughout is missed (a DynamoDB Scan's guarantee).
   *
   * @example
   * ```ts
   * for await (const { item, etag } of api.items({ limit: 100 })) {
   *   console.log(item.user_id, etag);
   * }
   * ```
   */
  items(options?: ItemsOptions): AsyncIterableIterator<ItemResult>;
}

const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * A client for the API at `baseUrl`. Calls resolve to the item (and its `etag`) or throw a
 * `ProblemError` (the API's error answer), a `NetworkError`, a `TimeoutError` or a
 * `ResponseError`; an argument the SDK cannot send is a `TypeError` before anything is sent.
 *
 * @throws TypeError when `baseUrl` is not an http(s) URL or holds a query, fragment or
 *   credentials, or when a header cannot be sent.
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
  const send = createTransport({
    baseUrl: baseUrlOf(options.baseUrl),
    timeout: options.timeout ?? DEFAULT_TIMEOUT_MS,
    retry: options.retry,
    numbers: options.numbers ?? 'number',
    headers: checkHeaders({
      ...(options.apiKey === undefined ? {} : { 'x-api-key': options.apiKey }),
      ...(typeof options.bearerToken === 'string'
        ? { authorization: `Bearer ${options.bearerToken}` }
        : {}),
      ...(typeof options.headers === 'object' ? options.headers : {}),
    }),
    headersPerAttempt: headersPerAttempt(options),
    fetch: options.fetch,
  });

  /**
   * Sends operation `id` with its query and body as the contract types them, and turns its
   * answer into a result: every call goes through here, and every failure comes out of `send`.
   */
  const call = async <Id extends OperationId, Result>(
    id: Id,
    outgoing: (
      | Pick<OperationData[Id], 'query' | 'body'>
      // A body in another media type the operation takes.
      | { readonly body: ItemMergePatch; readonly mediaType: typeof MERGE_PATCH }
    ) &
      Pick<Outgoing, 'headers'>,
    options: CallOptions & IdempotencyOptions,
    result: (answer: Answer) => Result,
  ): Promise<Result> =>
    result(
      await send(OPERATIONS[id], {
        ...outgoing,
        signal: options.signal,
        timeout: options.timeout,
        idempotencyKey: options.idempotencyKey,
        headers: { ...options.headers, ...outgoing.headers },
      }),
    );

  const client: DynamoCrudClient = {
    getItem: async (userId, options = {}) =>
      call('getItem', { query: { user_id: userIdOf(userId) } }, options, (answer) => ({
        item: itemOf(answer, userId),
        etag: answer.header('ETag'),
      })),

    createItem: async (item, options = {}) =>
      call('createItem', { body: objectOf(item, 'item') }, options, (answer) => ({
        item: itemOf(answer, item.user_id),
        etag: answer.header('ETag'),
        location: answer.reference('Location'),
      })),

    updateItem: async (update, options = {}) =>
      call(
        'updateItem',
        { body: objectOf(update, 'update'), headers: ifMatchHeader(options.ifMatch) },
        options,
        (answer) => ({
          item: itemOf(answer, update.user_id),
          etag: answer.header('ETag'),
        }),
      ),

    mergeItem: async (patch, options = {}) =>
      call(
        'updateItem',
        {
          body: objectOf(patch, 'patch'),
          mediaType: MERGE_PATCH,
          headers: ifMatchHeader(options.ifMatch),
        },
        options,
        (answer) => ({
          item: itemOf(answer, patch.user_id),
          etag: answer.header('ETag'),
        }),
      ),

    deleteItem: async (userId, options = {}) =>
      call(
        'deleteItem',
        {
          query: { user_id: userIdOf(userId) },
          headers: ifMatchHeader(options.ifMatch),
        },
        options,
        (answer) => ({ item: itemOf(answer, userId) }),
      ),

    listItems: async (page = {}, options = {}) => {
      const query = objectOf(page, 'page');
      return call('listItems', { query }, options, (answer) => {
        const { items, cursor } = answer.data as ItemPage;
        // A page's cursor starts after the page, so never where the page began: one that does
        // (a cache keying pages without their query, against RFC 9111 §2's key of method and
        // target URI, say) would list the same items forever.
        if (cursor !== undefined && cursor === query.cursor) {
          answer.refuse('its cursor is the one it was asked for, so it leads back to this page');
        }
        return cursor === undefined ? { items } : { items, cursor };
      });
    },

    items: async function* (iteration = {}) {
      const { limit, ...options } = objectOf(iteration, 'options');
      let cursor: string | undefined;
      do {
        options.signal?.throwIfAborted();
        const page = await client.listItems(
          {
            ...(limit === undefined ? {} : { limit }),
            ...(cursor === undefined ? {} : { cursor }),
          },
          options,
        );
        for (const listed of page.items) {
          options.signal?.throwIfAborted();
          yield listed;
        }
        cursor = page.cursor;
      } while (cursor !== undefined);
    },
  };
  return client;
}

/**
 * `baseUrl` without trailing slashes; each call appends its path and query to it.
 *
 * @throws TypeError when it is not an http(s) URL, or has a query or fragment (a call's own path
 *   and query would land inside them) or credentials (`fetch` refuses those: send them as
 *   `headers` or `bearerToken`).
 */
function baseUrlOf(baseUrl: string): string {
  const parsed = URL.canParse(baseUrl) ? new URL(baseUrl) : undefined;
  if (
    parsed === undefined ||
    !/^https?:$/.test(parsed.protocol) ||
    /[?#]/.test(baseUrl) ||
    parsed.username + parsed.password !== ''
  ) {
    throw new TypeError(
      `baseUrl must be an http(s) URL without query, fragment or user:password@, such as http://127.0.0.1:3000; got ${baseUrl}`,
    );
  }
  return baseUrl.replace(/\/+$/, '');
}

/**
 * The item an answer about `userId` carries. One about another item (a cache between client and
 * API keying answers without their query, against RFC 9111 §2's key of method and target URI)
 * is refused rather than handed over as this one.
 *
 * @throws ResponseError when the answer's `user_id` is not `userId`.
 */
function itemOf(answer: Answer, userId: unknown): Item {
  const item = answer.data as Item | null;
  if (item?.user_id !== userId) {
    answer.refuse(
      `its item's user_id is ${JSON.stringify(item?.user_id)}, not ${JSON.stringify(userId)}, the one asked for`,
    );
  }
  return item as Item;
}

/**
 * `userId`, checked: a call that names no item (`undefined`, a number from untyped code) must
 * not reach an item named by its `String()`, such as `"undefined"`.
 *
 * @throws TypeError when `userId` is not a string.
 */
function userIdOf(userId: UserId): UserId {
  if (typeof userId !== 'string') {
    throw new TypeError(`userId must be a string; got ${describe(userId)}`);
  }
  return userId;
}

/** Headers that must be computed before each attempt, so that retries pick up fresh ones. */
function headersPerAttempt(options: ClientOptions): (() => Promise<HeaderRecord>) | undefined {
  const { headers, bearerToken } = options;
  if (typeof headers !== 'function' && typeof bearerToken !== 'function') return undefined;
  return async () => ({
    ...(typeof headers === 'function' ? await headers() : {}),
    ...(typeof bearerToken === 'function'
      ? { authorization: `Bearer ${await bearerToken()}` }
      : {}),
  });
}

/**
 * `value`, checked to be a JSON object, as what the call sends or reads must be.
 *
 * @throws TypeError naming `name` when it is not (`undefined`, `null`, an array, a string).
 */
function objectOf<T>(value: T, name: string): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object; got ${describe(value)}`);
  }
  return value;
}

/** @throws TypeError for an `ifMatch` that is not an etag, or a result holding one, or is empty. */
function ifMatchHeader(ifMatch: WriteOptions['ifMatch']): HeaderMap | undefined {
  if (ifMatch === undefined) return undefined;
  const value =
    typeof ifMatch === 'object' && ifMatch !== null
      ? (ifMatch as { etag?: unknown }).etag
      : ifMatch;
  // An empty If-Match would match no version: almost surely a lost ETag, not a wish for a 412.
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TypeError(
      `ifMatch must be the etag of an earlier result, or that result; got ${describe(value)}`,
    );
  }
  return { 'if-match': value };
}
