import type { Item } from '../core/types.js';

export type WriteOperation = 'POST' | 'PATCH' | 'DELETE';

/** The `Detail` of every event (schemas `ItemCreatedDetail` and friends in openapi.yaml). */
export interface WriteEventDetail {
  readonly operation: WriteOperation;
  readonly message: 'success';
  readonly user_id: string;
  /** The item after the write; for DELETE, the item as it was. Absent when too large to send. */
  readonly item?: Item;
  /** PATCH only: the item before the write. Absent when too large to send. */
  readonly previous?: Item;
  /** The item's version after the write; for DELETE, the version that was deleted. */
  readonly version: number;
  /** ISO 8601 time of the write. */
  readonly occurredAt: string;
  /** The API request that made the write, as in logs and problem `instance`s. */
  readonly requestId: string;
  /** Set when `item` or `previous` were left out to fit EventBridge's 256 KB entry limit. */
  readonly truncated?: true;
}

/**
 * Announces committed writes. `publish` never rejects: an event it cannot deliver goes to the
 * dead-letter queue, or failing that to the error log with the whole event.
 */
export interface EventPublisher {
  publish(detail: WriteEventDetail): Promise<void>;
}

/** `DetailType` of each operation's event. */
export function detailType(operation: WriteOperation): `dynamo_${WriteOperation}` {
  return `dynamo_${operation}`;
}
