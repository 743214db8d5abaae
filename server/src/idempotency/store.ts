/**
 * Where the answers of writes sent with an `Idempotency-Key` are remembered: a DynamoDB table
 * of their own (Powertools' `DynamoDBPersistenceLayer`; Terraform's `idempotency` table, `npm
 * start`'s `IDEMPOTENCY_TABLE_NAME`), or memory for tests and the bench. Either way Powertools
 * idempotency (`powertools.ts`) is imported on the first request that sends a key: a cold start
 * and a request without one pay nothing for it.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { IdempotencyStore } from '../core/ports.js';
import type { PowertoolsIdempotencyOptions } from './powertools.js';

/**
 * The DynamoDB actions `DynamoDBPersistenceLayer` calls on its table (put the record in
 * progress, read it when the put is refused, complete it, delete it after a failed write);
 * Terraform grants exactly these, on that table.
 */
export const IDEMPOTENCY_DYNAMODB_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
] as const;

/** The table's key (`DynamoDBPersistenceLayer`'s default `keyAttr`). */
export const IDEMPOTENCY_TABLE_KEY = { name: 'id', type: 'S' } as const;

/**
 * The attribute holding each record's expiry, in epoch seconds (Powertools' `expiration`): the
 * table's TTL attribute, so DynamoDB deletes records once expired.
 */
export const IDEMPOTENCY_TTL_ATTRIBUTE = 'expiration';

export interface DynamoDbIdempotencyOptions extends PowertoolsIdempotencyOptions {
  /** The items' client: same time limits, retries and connections. */
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

/** Answers remembered in the DynamoDB table `tableName`. */
export function createDynamoDbIdempotency(options: DynamoDbIdempotencyOptions): IdempotencyStore {
  return loadedOnFirstUse(async () => {
    const [{ createPowertoolsIdempotency }, { DynamoDBPersistenceLayer }] = await Promise.all([
      import('./powertools.js'),
      import('@aws-lambda-powertools/idempotency/dynamodb'),
    ]);
    const persistence = new DynamoDBPersistenceLayer({
      tableName: options.tableName,
      keyAttr: IDEMPOTENCY_TABLE_KEY.name,
      expiryAttr: IDEMPOTENCY_TTL_ATTRIBUTE,
      awsSdkV3Client: options.client,
    });
    return createPowertoolsIdempotency(persistence, options);
  });
}

/** Answers remembered in this process's memory: for tests and the bench, never a deployment. */
export function createMemoryIdempotency(options: PowertoolsIdempotencyOptions): IdempotencyStore {
  return loadedOnFirstUse(async () => {
    const [{ createPowertoolsIdempotency }, { MemoryPersistenceLayer }] = await Promise.all([
      import('./powertools.js'),
      import('./memory-persistence.js'),
    ]);
    return createPowertoolsIdempotency(new MemoryPersistenceLayer(), options);
  });
}

/** `load`ed on the first `once`, then that; a failed load is tried again next time. */
function loadedOnFirstUse(load: () => Promise<IdempotencyStore>): IdempotencyStore {
  let loaded: Promise<IdempotencyStore> | undefined;
  return {
    async once(request, answer) {
      loaded ??= load().catch((error: unknown) => {
        loaded = undefined;
        throw error;
      });
      return (await loaded).once(request, answer);
    },
  };
}
