/**
 * The operations of openapi.yaml, one handler per operation id. Each receives the input that
 * validation checked, typed by the contract, and answers a result the contract documents; a
 * new operation in openapi.yaml without a handler here does not compile.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { carriedBytes } from './answer.js';
import {
  etag,
  evaluateRead,
  NO_CACHE,
  readPreconditions,
  toVersionCondition,
} from './conditional.js';
import type { CursorCodec } from './cursor.js';
import { CHECKS_WHOLE_ITEM, checkAttributes, checkItem } from './item-schema.js';
import { type JsonValue, stringifyJson } from './json.js';
import { MAX_PAGE_BYTES, readPage } from './listing.js';
import { mergeChange } from './merge-patch.js';
import type { OperationInput, OperationResult } from './openapi/operation-types.js';
import type { OperationId } from './openapi/operations.gen.js';
import type { components } from './openapi/types.gen.js';
import {
  applyChange,
  type EventPublisher,
  type Item,
  type ItemChange,
  ItemExistsError,
  ItemNotFoundError,
  type ItemStore,
  meetsCondition,
  type UpdatedItem,
  type Validator,
  type VersionCondition,
  type VersionedItem,
  VersionMismatchError,
  validatorOf,
  type WriteEventDetail,
  writeContention,
} from './ports.js';
import { PreconditionFailedError, quote, ValidationError } from './problems.js';
import { checkAttributeName, checkStorable } from './storable.js';

/** What an operation knows of the request besides its validated input. */
export interface OperationContext {
  /** Correlates logs, the problem `instance` and the event's `requestId`. */
  readonly requestId: string;
  /** When the invocation will be stopped (epoch ms), for publishing; see `PublishOptions`. */
  readonly deadline?: number | undefined;
}

export type Operation<Id extends OperationId> = (
  input: OperationInput<Id>,
  context: OperationContext,
) => Promise<OperationResult<Id>>;

/** One handler per operation id of openapi.yaml: `tsc` fails when one is missing. */
export type Operations = { readonly [Id in OperationId]: Operation<Id> };

export interface OperationDependencies {
  readonly store: ItemStore;
  readonly events: EventPublisher;
  readonly logger: Logger;
  /** Signs and checks listing cursors (`CURSOR_KEY`). */
  readonly cursors: CursorCodec;
  /** See `AppOptions.readReserveMs`. */
  readonly readReserveMs?: number | undefined;
}

/**
 * The handlers. Store errors (`ports.ts`) pass through: the app maps them onto problems.
 */
export function createOperations({
  store,
  events,
  logger,
  cursors,
  readReserveMs = 0,
}: OperationDependencies): Operations {
  /**
   * An item another program stored in violation of `Item` is answered as it is stored (the API
   * does not hide data it cannot vouch for), and the log says what the schema has against it.
   */
  function warnIfUnvouched(userId: string, item: Item): void {
    const problems = checkItem(item);
    if (problems.length > 0) {
      logger.warn('a stored item does not match the Item schema', { userId, problems });
    }
  }

  /**
   * The write is committed before this runs, so the client is told it succeeded whatever
   * happens to the event: the publisher retries, then dead-letters, and never throws. `state`
   * is the item's after the write (for DELETE, the state deleted).
   */
  function announce(
    context: OperationContext,
    detail: Pick<WriteEventDetail, 'operation' | 'user_id' | 'item' | 'previous'>,
    state: Validator,
  ): Promise<void> {
    return events.publish(
      {
        ...detail,
        version: state.version,
        etag: etag(state),
        message: 'success',
        occurredAt: new Date().toISOString(),
        requestId: context.requestId,
      },
      { deadline: context.deadline },
    );
  }

  /**
   * A change checked against the whole item it makes (`Item` says something of items as a
   * whole, or the change depends on the item): read the item, make the change, check the
   * result, then write on condition that the item is still as read (its ETag). When it moved
   * and the client's own condition allows, read again; a client's `If-Match` is never relaxed.
   *
   * @throws ValidationError with the item's problems (pointers into the item), and what
   *   `store.update` throws
   */
  async function updateWholeItem(
    userId: string,
    condition: VersionCondition,
    changeOf: (current: Item) => ItemChange,
  ): Promise<UpdatedItem> {
    for (let round = 1; ; round++) {
      const current = await store.get(userId);
      if (current === undefined) throw new ItemNotFoundError(userId);
      if (!meetsCondition(condition, current)) {
        throw new VersionMismatchError(userId, validatorOf(current), condition);
      }
      const change = changeOf(current.item);
      assertStorable(checkItem(applyChange(current.item, change)));
      try {
        return await store.update(userId, change, { ifMatch: [validatorOf(current)] });
      } catch (error) {
        if (!(error instanceof VersionMismatchError)) throw error;
        // The state this round read is not the item's any more: what the client sent (its
        // precondition, or none) decides what running out of rounds means.
        if (round >= CHECKED_WRITE_ROUNDS) throw writeContention(userId, condition);
      }
    }
  }

  /** The seed's PATCH: `updatedKey` set to `updatedValue`. */
  async function setAttribute(
    { user_id: userId, updatedKey, updatedValue }: UpdateRequest,
    headers: Preconditioned,
  ): Promise<UpdatedItem> {
    if (updatedKey === 'user_id') {
      throw new ValidationError([
        { pointer: '/updatedKey', detail: 'cannot be user_id: the key of an item never changes' },
      ]);
    }
    const nameProblem = checkAttributeName(updatedKey);
    assertStorable([
      ...(nameProblem === undefined ? [] : [{ pointer: '/updatedKey', detail: nameProblem }]),
      ...checkStorable(updatedValue as JsonValue, '/updatedValue', 1),
    ]);
    assertStorable(
      checkAttributes(
        { [updatedKey]: updatedValue },
        { name: () => '/updatedKey', value: (_attribute, path) => `/updatedValue${path}` },
      ),
    );
    // The whole attribute, as the client sent it: nothing it did not send is rewritten.
    const change: ItemChange = { set: [{ path: [updatedKey], value: updatedValue }], remove: [] };
    const condition = toVersionCondition(readPreconditions(headers));
    return CHECKS_WHOLE_ITEM
      ? await updateWholeItem(userId, condition, () => change)
      : await store.update(userId, change, condition);
  }

  /**
   * A JSON Merge Patch (RFC 7396): the patch checked as the part of a POSTed item it is (names,
   * numbers, nesting), then merged into the item as read, and the item it makes checked against
   * `Item`, all in one conditional write (`updateWholeItem`). `user_id` names the item, so it
   * is the same in the item and the patch by construction.
   */
  async function mergeItem(patch: MergePatch, headers: Preconditioned): Promise<UpdatedItem> {
    assertStorable(checkStorable(patch as JsonValue, '', 0));
    const condition = toVersionCondition(readPreconditions(headers));
    return updateWholeItem(patch.user_id, condition, (current) => mergeChange(current, patch));
  }

  return {
    async getItem({ query, headers }) {
      const preconditions = readPreconditions(headers);
      const found = await store.get(query.user_id);
      // A missing item is 404 whatever the preconditions say (RFC 9110 §13.2.1).
      if (found === undefined) throw new ItemNotFoundError(query.user_id);
      warnIfUnvouched(query.user_id, found.item);
      const tag = etag(found);
      if (evaluateRead(preconditions, found) === 'fresh') {
        return { status: 304, headers: { etag: tag, 'cache-control': NO_CACHE }, body: undefined };
      }
      return { status: 200, headers: { etag: tag, 'cache-control': NO_CACHE }, body: found.item };
    },

    async createItem({ body, headers }, context) {
      const { ifNoneMatch } = readPreconditions(headers);
      if (ifNoneMatch !== undefined && ifNoneMatch !== '*') {
        throw new ValidationError([
          {
            header: 'If-None-Match',
            detail: 'must be * on POST (create only if no item has this user_id), or left out',
          },
        ]);
      }
      // Validated against `Item`, which the generator makes sure requires a string `user_id`.
      const item = body.value as Item;
      assertStorable(checkStorable(item as JsonValue, '', 0));
      const created = await store.create(item).catch((error: unknown) => {
        if (ifNoneMatch === '*' && error instanceof ItemExistsError) {
          throw new PreconditionFailedError(
            `If-None-Match is *, and an item with user_id ${quote(item.user_id)} exists.`,
          );
        }
        throw error;
      });
      await announce(
        context,
        {
          operation: 'POST',
          user_id: item.user_id,
          item: created.item,
        },
        created,
      );
      return {
        status: 201,
        headers: {
          etag: etag(created),
          // A relative reference keeping the request's path (RFC 3986 §4.2, §5.2.2): resolved
          // against the target URI (RFC 9110 §10.2.2) it is the item's URL behind any stage or
          // custom domain base path: /prod/dynamo gives /prod/dynamo?user_id=…
          location: `?user_id=${encodeURIComponent(item.user_id)}`,
        },
        body: created.item,
      };
    },

    async updateItem({ body, headers }, context) {
      const userId = body.value.user_id;
      const updated =
        body.mediaType === 'application/merge-patch+json'
          ? await mergeItem(body.value, headers)
          : await setAttribute(body.value, headers);
      await announce(
        context,
        {
          operation: 'PATCH',
          user_id: userId,
          item: updated.item,
          previous: updated.previous.item,
        },
        updated,
      );
      return { status: 200, headers: { etag: etag(updated) }, body: updated.item };
    },

    async listItems({ query }, context) {
      // Validation filled in the contract's default (Ajv `useDefaults`).
      const limit = query.limit as number;
      const after = query.cursor === undefined ? undefined : cursors.decode(query.cursor);
      const { deadline } = context;
      const page = await readPage(store, after === undefined ? { limit } : { limit, after }, {
        // Each entry as the answer spells it, and the comma after it. The answer puts members in
        // its own order (`answerText`), which changes no size: left out, it halves the cost
        // (about 50 µs for 25 small items).
        sizeOf: (found) => carriedBytes(stringifyJson(pageEntry(found))) + 1,
        maxBytes: MAX_PAGE_BYTES,
        mayReadAgain: () => deadline === undefined || Date.now() + readReserveMs <= deadline,
      });
      for (const { item } of page.items) warnIfUnvouched(item.user_id, item);
      const cursor = page.next === undefined ? undefined : cursors.encode(page.next);
      return {
        status: 200,
        // The next page as a relative reference (RFC 8288 §3.2, RFC 3986 §4.2): it resolves
        // against the request's own path, behind any stage or custom domain base path.
        headers:
          cursor === undefined
            ? { 'cache-control': NO_CACHE }
            : {
                'cache-control': NO_CACHE,
                link: `<?limit=${limit}&cursor=${encodeURIComponent(cursor)}>; rel="next"`,
              },
        body: {
          items: page.items.map(pageEntry),
          ...(cursor === undefined ? {} : { cursor }),
        },
      };
    },

    async deleteItem({ query, headers }, context) {
      const deleted = await store.delete(
        query.user_id,
        toVersionCondition(readPreconditions(headers)),
      );
      await announce(
        context,
        {
          operation: 'DELETE',
          user_id: query.user_id,
          item: deleted.item,
        },
        deleted,
      );
      return { status: 200, headers: {}, body: deleted.item };
    },
  };
}

type UpdateRequest = components['schemas']['UpdateRequest'];
type MergePatch = components['schemas']['MergePatch'];
/** The precondition headers of a write. */
type Preconditioned = Parameters<typeof readPreconditions>[0];

/** An item as a listing page holds it: with the ETag its version has. */
function pageEntry(found: VersionedItem): { item: Item; etag: string } {
  return { item: found.item, etag: etag(found) };
}

/** How many times a checked write reads again when the item changed under it. */
const CHECKED_WRITE_ROUNDS = 3;

function assertStorable(errors: ReturnType<typeof checkStorable>): void {
  if (errors.length > 0) throw new ValidationError(errors);
}
