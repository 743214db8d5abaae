import type { JsonObject, JsonValue } from './json.js';

/** A request as every adapter hands it to the core: no Lambda, no `node:http`. */
export interface ApiRequest {
  readonly method: string;
  /** The path without query string or stage prefix, e.g. `/dynamo`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The raw body, decoded to text; `undefined` when there is none. */
  readonly body: string | undefined;
  /** Correlates logs and the problem `instance` with this request. */
  readonly requestId: string;
}

export interface ApiResponse {
  readonly statusCode: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** An item as the client sees it: any JSON object with a `user_id`. */
export type Item = JsonObject & { user_id: string };

/** An item with the version that its `ETag` carries. */
export interface VersionedItem {
  readonly item: Item;
  readonly version: number;
}

/** An updated item, with the item as it was before. */
export interface UpdatedItem extends VersionedItem {
  readonly previous: VersionedItem;
}

/**
 * Which versions a conditional write accepts: `undefined` is any (no `If-Match`, or `*`);
 * otherwise one of these. An empty list matches nothing.
 */
export type ExpectedVersions = readonly number[] | undefined;

/**
 * The storage port. The DynamoDB adapter is the only implementation that builds expressions.
 * Methods throw `NotFoundError`, `ConflictError`, `PreconditionFailedError`,
 * `PayloadTooLargeError`, `ValidationError` or `ServiceUnavailableError` from `errors.ts`.
 */
export interface ItemStore {
  get(userId: string): Promise<VersionedItem | undefined>;
  /** Never overwrites: `ConflictError` when `user_id` exists. */
  create(item: Item): Promise<VersionedItem>;
  /** Sets one top-level attribute; never creates. */
  update(
    userId: string,
    key: string,
    value: JsonValue,
    expected: ExpectedVersions,
  ): Promise<UpdatedItem>;
  /** Never creates; returns the item as it was. */
  delete(userId: string, expected: ExpectedVersions): Promise<VersionedItem>;
}
