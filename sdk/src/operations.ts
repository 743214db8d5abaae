/**
 * The operations of openapi.yaml as the client sends them: method, path, the media type of the
 * body, whether a repeat can do harm, and whether it takes an `Idempotency-Key`. Each path is typed by the generated `*Data['url']`, and
 * `test/operations.test.ts` checks the rest against openapi.yaml, so this table cannot drift
 * from the contract. A new operation is a line here and a call in `client.ts`.
 */
import type {
  CreateItemData,
  DeleteItemData,
  GetItemData,
  ListItemsData,
  UpdateItemData,
} from './gen/types.gen.js';

/** Each operation's request as the contract types it: its query, headers, body and `url`. */
export interface OperationData {
  getItem: GetItemData;
  createItem: CreateItemData;
  updateItem: UpdateItemData;
  deleteItem: DeleteItemData;
  listItems: ListItemsData;
}

export type OperationId = keyof OperationData;

export interface Operation<Id extends OperationId = OperationId> {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly path: OperationData[Id]['url'];
  /** The media type of the request body (`Content-Type`), for operations that take one. */
  readonly mediaType?: string;
  /** Whether sending it twice leaves the same state as once, so a failure may be retried. */
  readonly idempotent: boolean;
  /**
   * Whether it takes an `Idempotency-Key`: the client sends one, and a repeat with it is
   * answered as the first attempt was, so it is retried too.
   */
  readonly idempotencyKey?: true;
}

export const OPERATIONS = {
  getItem: { method: 'GET', path: '/dynamo', idempotent: true },
  createItem: {
    method: 'POST',
    path: '/dynamo',
    mediaType: 'application/json',
    idempotent: false,
    idempotencyKey: true,
  },
  updateItem: {
    method: 'PATCH',
    path: '/dynamo',
    mediaType: 'application/json',
    idempotent: true,
    idempotencyKey: true,
  },
  deleteItem: { method: 'DELETE', path: '/dynamo', idempotent: true },
  listItems: { method: 'GET', path: '/dynamo/items', idempotent: true },
} as const satisfies { readonly [Id in OperationId]: Operation<Id> };
