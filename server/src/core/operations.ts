/**
 * The operations of openapi.yaml, one handler per operation id. Each receives the input that
 * validation checked, typed by the contract, and answers a result the contract documents; a
 * new operation in openapi.yaml without a handler here does not compile.
 */
import { etag, evaluateRead, readPreconditions, toVersionCondition } from './conditional.js';
import type { JsonValue } from './json.js';
import type { OperationInput, OperationResult } from './openapi/operation-types.js';
import type { OperationId } from './openapi/operations.gen.js';
import {
  type EventPublisher,
  ItemExistsError,
  ItemNotFoundError,
  type ItemStore,
  type WriteEventDetail,
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
}

/**
 * The handlers. Store errors (`ports.ts`) pass through: the app maps them onto problems.
 */
export function createOperations({ store, events }: OperationDependencies): Operations {
  /**
   * The write is committed before this runs, so the client is told it succeeded whatever
   * happens to the event: the publisher retries, then dead-letters, and never throws.
   */
  function announce(
    context: OperationContext,
    detail: Pick<WriteEventDetail, 'operation' | 'user_id' | 'item' | 'version' | 'previous'>,
  ): Promise<void> {
    return events.publish(
      {
        ...detail,
        message: 'success',
        occurredAt: new Date().toISOString(),
        requestId: context.requestId,
      },
      { deadline: context.deadline },
    );
  }

  return {
    async getItem({ query, headers }) {
      const preconditions = readPreconditions(headers);
      const found = await store.get(query.user_id);
      // A missing item is 404 whatever the preconditions say (RFC 9110 §13.2.1).
      if (found === undefined) throw new ItemNotFoundError(query.user_id);
      const tag = etag(found.version);
      if (evaluateRead(preconditions, found) === 'fresh') {
        return { status: 304, headers: { etag: tag }, body: undefined };
      }
      return { status: 200, headers: { etag: tag }, body: found.item };
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
      const item = body.value;
      assertStorable(checkStorable(item as JsonValue, '', 0));
      const created = await store.create(item).catch((error: unknown) => {
        if (ifNoneMatch === '*' && error instanceof ItemExistsError) {
          throw new PreconditionFailedError(
            `If-None-Match is *, and an item with user_id ${quote(item.user_id)} exists.`,
          );
        }
        throw error;
      });
      await announce(context, {
        operation: 'POST',
        user_id: item.user_id,
        item: created.item,
        version: created.version,
      });
      return {
        status: 201,
        headers: {
          etag: etag(created.version),
          // A relative reference keeping the request's path (RFC 3986 §4.2, §5.2.2): resolved
          // against the target URI (RFC 9110 §10.2.2) it is the item's URL behind any stage or
          // custom domain base path: /prod/dynamo gives /prod/dynamo?user_id=…
          location: `?user_id=${encodeURIComponent(item.user_id)}`,
        },
        body: created.item,
      };
    },

    async updateItem({ body, headers }, context) {
      const { user_id: userId, updatedKey, updatedValue } = body.value;
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
      const updated = await store.update(
        userId,
        updatedKey,
        updatedValue,
        toVersionCondition(readPreconditions(headers)),
      );
      await announce(context, {
        operation: 'PATCH',
        user_id: userId,
        item: updated.item,
        previous: updated.previous.item,
        version: updated.version,
      });
      return { status: 200, headers: { etag: etag(updated.version) }, body: updated.item };
    },

    async deleteItem({ query, headers }, context) {
      const deleted = await store.delete(
        query.user_id,
        toVersionCondition(readPreconditions(headers)),
      );
      await announce(context, {
        operation: 'DELETE',
        user_id: query.user_id,
        item: deleted.item,
        version: deleted.version,
      });
      return { status: 200, headers: {}, body: deleted.item };
    },
  };
}

function assertStorable(errors: ReturnType<typeof checkStorable>): void {
  if (errors.length > 0) throw new ValidationError(errors);
}
