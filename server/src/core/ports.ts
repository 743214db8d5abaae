/**
 * What the core needs from the outside, declared here so that the core depends on nothing
 * outside it: a store for items and a publisher for events. `../store` and `../events`
 * implement them (and tests implement them in memory).
 *
 * Implementations speak in domain terms: they throw the `StoreError`s below, never HTTP errors;
 * the core alone decides what a client hears (status, problem, `Retry-After`).
 */
import { randomBytes } from 'node:crypto';
import type { components } from './openapi/types.gen.js';
import type { ApiResponse } from './request.js';

type ContractItem = components['schemas']['Item'];

/**
 * An item as the client sees it (schema `Item`): a JSON object with a `user_id`. Where the
 * generator cannot type a team's `Item` (openapi-typescript gives `unknown` for some `anyOf`s),
 * the open shape the shipped contract has.
 */
export type Item = unknown extends ContractItem
  ? { user_id: string; [key: string]: unknown }
  : ContractItem;

/** The `detail` of every write's event (schema `WriteEventDetail`). */
export type WriteEventDetail = components['schemas']['WriteEventDetail'];

export type WriteOperation = WriteEventDetail['operation'];

/**
 * What an `ETag` names: one version of one incarnation of an item. Versions count the writes of
 * an incarnation from 1 and start again when an item is deleted and created again; the
 * incarnation, a random token the store gives an item when it creates it, tells those runs
 * apart, so that no validator ever names two states (RFC 9110 §8.8.1: a strong validator is
 * unique across all versions of a resource over time). An item stored before incarnations (or
 * by another program) has none until the API next writes it.
 */
export interface Validator {
  readonly version: number;
  /** `INCARNATION` characters; absent on an item no write of this API has touched yet. */
  readonly incarnation?: string;
}

/** An item with the validator its `ETag` carries. */
export interface VersionedItem extends Validator {
  readonly item: Item;
}

/**
 * An incarnation as the stores write it and `ETag`s carry it: 1 to 64 characters of base64url
 * (RFC 4648 §5), all of them allowed in an entity tag (RFC 9110 §8.8.3).
 */
export const INCARNATION = /^[A-Za-z0-9_-]{1,64}$/;

/** Bytes of one incarnation: 72 random bits, 12 characters of base64url. */
const INCARNATION_BYTES = 9;
/**
 * Incarnations' random bytes, drawn from the CSPRNG this many at a time: each call into it
 * costs about as much as a few hundred bytes of output (7 µs for 9 bytes against 0.4 µs per
 * incarnation drawn 256 at a time, measured on Node.js 20), and every write takes one.
 */
const INCARNATIONS_PER_DRAW = 256;
let randomPool = Buffer.alloc(0);
let poolOffset = 0;

/** A new incarnation: 72 random bits, 12 characters of base64url. */
export function newIncarnation(): string {
  if (poolOffset + INCARNATION_BYTES > randomPool.length) {
    randomPool = randomBytes(INCARNATION_BYTES * INCARNATIONS_PER_DRAW);
    poolOffset = 0;
  }
  const start = poolOffset;
  poolOffset += INCARNATION_BYTES;
  return randomPool.toString('base64url', start, poolOffset);
}

/** Whether `a` and `b` name the same state: the same version of the same incarnation. */
export function sameValidator(a: Validator, b: Validator): boolean {
  return a.version === b.version && a.incarnation === b.incarnation;
}

/** Just the validator of `item` (its version and incarnation), without the item. */
export function validatorOf({ version, incarnation }: Validator): Validator {
  return incarnation === undefined ? { version } : { version, incarnation };
}

/**
 * What one read of a listing found: items in the store's order, and `resumeAfter`, the
 * `user_id` the read stopped after, when it stopped before the end of the table.
 */
export interface ScannedItems {
  readonly items: readonly VersionedItem[];
  readonly resumeAfter?: string;
}

/** An updated item, with the item as it was before. */
export interface UpdatedItem extends VersionedItem {
  readonly previous: VersionedItem;
}

/**
 * What a conditional write requires of the item's current state, from `If-Match` and
 * `If-None-Match` (RFC 9110 §13.1.1, §13.1.2) as validators, each compared whole (version and
 * incarnation). Both absent: any existing item. An item written without a version (by another
 * program) is at version 0.
 */
export interface VersionCondition {
  /** One of these (`If-Match`); empty: no state can match. */
  readonly ifMatch?: readonly Validator[];
  /** None of these (`If-None-Match`); `'*'`: no item at all, which no update or delete meets. */
  readonly ifNoneMatch?: readonly Validator[] | '*';
}

/**
 * Where a member of an item is: the names from the item down to it, through maps only
 * (DynamoDB's document path, without list indexes), at least one: `['address', 'zip']` is
 * `address.zip`.
 */
export type DocumentPath = readonly string[];

/**
 * A change to an item: values to set and members to remove, each at its document path.
 * Whatever the change does not name stays exactly as stored, types included, however deep: a
 * change to one member of a map names that member, never the whole map, so a set or binary
 * member beside it (which another program may have written) is not read back and rewritten in
 * its JSON shape. Every name of a path but the last is a map the item has, and no path is a
 * prefix of another, so the order of the operations does not matter.
 */
export interface ItemChange {
  readonly set: readonly { readonly path: DocumentPath; readonly value: unknown }[];
  readonly remove: readonly DocumentPath[];
}

/**
 * `item` with `change` made, without changing `item`: the maps on the change's paths are
 * copied, everything else is shared. Works on the JSON view of an item and on the values the
 * DynamoDB document client reads alike (sets, binary and exact numbers are values, not maps).
 *
 * @throws StoreRefusedError `invalid` when a path leads through something that is not a map,
 *   as DynamoDB refuses such a path ("The document path provided in the update expression is
 *   invalid for update")
 */
export function applyChange<T extends object>(item: T, change: ItemChange): T {
  const root = { ...item } as Record<string, unknown>;
  const copies = new Set<object>([root]);
  /** The map holding the member at `path`, copied on the way down. */
  const parentOf = (path: DocumentPath): Record<string, unknown> => {
    let map = root;
    for (const name of path.slice(0, -1)) {
      const next = Object.hasOwn(map, name) ? map[name] : undefined;
      if (!isMap(next)) {
        throw new StoreRefusedError('invalid', {
          cause: new TypeError(`the document path ${JSON.stringify(path)} leads through a non-map`),
        });
      }
      const copy = copies.has(next) ? next : { ...next };
      copies.add(copy);
      defineMember(map, name, copy);
      map = copy;
    }
    return map;
  };
  for (const { path, value } of change.set) defineMember(parentOf(path), lastName(path), value);
  for (const path of change.remove) delete parentOf(path)[lastName(path)];
  return root as T;
}

/** A plain object: a map of an item, not an array, a set, binary or an exact number. */
function isMap(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

const lastName = (path: DocumentPath): string => path[path.length - 1] as string;

/** Sets a member as data, whatever its name (`__proto__` too), as `JSON.parse` would. */
function defineMember(map: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(map, name, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

/** Whether an item at `current` meets `condition` (an item exists: `ifNoneMatch: '*'` never). */
export function meetsCondition(condition: VersionCondition, current: Validator): boolean {
  return failedPrecondition(condition, current) === undefined;
}

/**
 * The precondition an item at `current` fails, in the order RFC 9110 §13.2.2 evaluates them
 * (`If-Match` first), or `undefined` when it meets `condition`.
 */
export function failedPrecondition(
  condition: VersionCondition,
  current: Validator,
): 'If-Match' | 'If-None-Match' | undefined {
  const { ifMatch, ifNoneMatch } = condition;
  const names = (list: readonly Validator[]) => list.some((v) => sameValidator(v, current));
  if (ifMatch !== undefined && !names(ifMatch)) return 'If-Match';
  if (ifNoneMatch === '*' || (ifNoneMatch !== undefined && names(ifNoneMatch))) {
    return 'If-None-Match';
  }
  return undefined;
}

/**
 * Items by `user_id`. Every write is conditional: `create` never overwrites, `update` and
 * `delete` never create. Each method may throw `StoreUnavailableError` or `StoreRefusedError`.
 */
export interface ItemStore {
  get(userId: string): Promise<VersionedItem | undefined>;
  /**
   * Creates the item at version 1 of a new incarnation (`newIncarnation`).
   * @throws ItemExistsError when an item has `item.user_id`.
   */
  create(item: Item): Promise<VersionedItem>;
  /**
   * Makes `change` and bumps the version, if the item exists and meets `condition`, in one
   * conditional write; members `change` does not name are left as they are, types included.
   * The incarnation stays; an item without one gets a new one.
   * @throws ItemNotFoundError, VersionMismatchError (it does not meet `condition`),
   *   StoreRefusedError `change-too-large` when one write cannot hold the change
   */
  update(userId: string, change: ItemChange, condition: VersionCondition): Promise<UpdatedItem>;
  /**
   * One read of a listing (for DynamoDB, one strongly consistent `Scan`): at most `limit` items,
   * starting after the item `after` (from the start without it), and where the read stopped
   * when that was before the end. A read may stop short of `limit` with items left (DynamoDB's
   * stops at 1 MB read). The order is the store's own; reads that follow each other's
   * `resumeAfter` see an item created or deleted meanwhile or not, none twice, and every item
   * that existed throughout.
   */
  scan(read: { readonly limit: number; readonly after?: string }): Promise<ScannedItems>;
  /**
   * Deletes the item, if it exists and meets `condition`, and returns it as it was.
   * @throws ItemNotFoundError, VersionMismatchError
   */
  delete(userId: string, condition: VersionCondition): Promise<VersionedItem>;
}

/** What publishing needs to know of the request it announces. */
export interface PublishOptions {
  /**
   * When the invocation will be stopped (epoch milliseconds; on Lambda, now plus
   * `context.getRemainingTimeInMillis()`); `undefined` where nothing stops it (`npm start`).
   * The publisher stops retrying in time to record the event before then.
   */
  readonly deadline?: number | undefined;
}

/**
 * Announces committed writes. `publish` never rejects: an event it cannot deliver goes to a
 * dead-letter queue and to the error log with the whole event, logged before the queue is
 * tried, so that even an invocation stopped at its deadline leaves the event on record.
 */
export interface EventPublisher {
  publish(detail: WriteEventDetail, options?: PublishOptions): Promise<void>;
}

/** A request with an `Idempotency-Key`, as `IdempotencyStore.once` needs it. */
export interface KeyedRequest {
  /** The client's key, unquoted: 1 to 255 printable ASCII characters. */
  readonly key: string;
  /**
   * Equal for two requests exactly when they are the same request (method, path, query, media
   * type, body, preconditions): a key seen with another fingerprint is being reused.
   */
  readonly fingerprint: string;
  /**
   * When the request's work is stopped (epoch ms; see `ApiRequest.deadline`): a first request
   * still in progress then is taken as abandoned, and its key is free again. `undefined`: the
   * store's own bound.
   */
  readonly deadline?: number | undefined;
}

/**
 * Answers of writes, remembered by `Idempotency-Key` (IETF httpapi draft "The Idempotency-Key
 * HTTP Header Field") for a window the implementation documents, so that a client can repeat a
 * write whose answer it lost.
 */
export interface IdempotencyStore {
  /**
   * The answer to `request`, computed at most once per key while the key is remembered: the
   * first request with a key runs `answer` and, when it resolves, remembers what it resolved
   * to; a later request with the key and the same fingerprint gets that answer, `replayed`,
   * without running `answer`. When `answer` rejects, nothing is remembered (the key is free
   * again) and its rejection passes through: only successes are replayed.
   *
   * @throws IdempotencyKeyInProgressError while the first request with the key runs,
   *   IdempotencyKeyReusedError when the key was used with another fingerprint,
   *   StoreUnavailableError when the answers cannot be read or written
   */
  once(
    request: KeyedRequest,
    answer: () => Promise<ApiResponse>,
  ): Promise<{ readonly response: ApiResponse; readonly replayed: boolean }>;
}

/** The `detail-type` of each operation's event: `dynamo_POST`, `dynamo_PATCH`, `dynamo_DELETE`. */
export function eventDetailType(operation: WriteOperation): `dynamo_${WriteOperation}` {
  return `dynamo_${operation}`;
}

/** What a store throws. Each carries what the core needs to explain it, and nothing HTTP. */
export abstract class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

export class ItemExistsError extends StoreError {
  constructor(readonly userId: string) {
    super('an item with this user_id exists');
  }
}

export class ItemNotFoundError extends StoreError {
  constructor(readonly userId: string) {
    super('no item has this user_id');
  }
}

/** A conditional write found the item in a state its condition excludes. */
export class VersionMismatchError extends StoreError {
  /**
   * @param current the item's validator when the write was refused, when the store knows it
   *   for sure (from the refusal itself); `undefined` when the item changed again meanwhile.
   * @param condition the condition the write was under, so that the client can be told which
   *   of its preconditions the item fails
   */
  constructor(
    readonly userId: string,
    readonly current: Validator | undefined,
    readonly condition: VersionCondition,
  ) {
    super('the item is at a version the condition excludes');
  }
}

/** The store is throttling, failing or unreachable; a later attempt may work. */
export class StoreUnavailableError extends StoreError {
  constructor(options: { cause: unknown }) {
    super('the store is unavailable', options);
  }
}

/**
 * What a write that was tried as often as it may, while the item kept changing under it, ends
 * with. With a precondition from the client, a `VersionMismatchError` that says the item changed
 * (the precondition held at each look, but the item moved before the write landed). Without
 * one, the store was too busy to do it now: `StoreUnavailableError`, a 503 to retry, never a 412,
 * which only a precondition the client sent may cause (RFC 9110 §15.5.13).
 */
export function writeContention(userId: string, condition: VersionCondition): StoreError {
  return condition.ifMatch !== undefined || condition.ifNoneMatch !== undefined
    ? new VersionMismatchError(userId, undefined, condition)
    : new StoreUnavailableError({
        cause: new Error(`the item ${JSON.stringify(userId)} kept changing under the write`),
      });
}

/**
 * The store refused the request for good: `item-too-large` (over what it holds),
 * `change-too-large` (an update naming more members than one write holds) or `invalid`
 * (something the core did not check first, or a bug in how the request was built: logged).
 */
export class StoreRefusedError extends StoreError {
  constructor(
    readonly reason: 'item-too-large' | 'change-too-large' | 'invalid',
    options: { cause: unknown },
  ) {
    super(`the store refused the request: ${reason}`, options);
  }
}

/** The first request with this `Idempotency-Key` is still being carried out. */
export class IdempotencyKeyInProgressError extends StoreError {
  constructor(options?: { cause?: unknown }) {
    super('a request with this idempotency key is in progress', options);
  }
}

/** This `Idempotency-Key` was used with another request (another fingerprint). */
export class IdempotencyKeyReusedError extends StoreError {
  constructor(options?: { cause?: unknown }) {
    super('this idempotency key was used with another request', options);
  }
}
