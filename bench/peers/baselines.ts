/**
 * The function and the floor on the peers' terms (`CreateHandler`), for what the bench measures
 * from source with the store in memory and events dropped (framework cost, no I/O).
 */
import { createLambdaHandler } from '../../server/src/adapters/lambda.js';
import { createApp } from '../../server/src/core/app.js';
import type { Item } from '../../server/src/core/ports.js';
import { createMemoryIdempotency } from '../../server/src/idempotency/store.js';
import type { CreateHandler, LambdaHandler } from './shared.js';

/**
 * The function: its core behind its Lambda adapter, as `server/src/lambda.ts` wires them, with
 * idempotency records in memory (no request the bench sends carries an `Idempotency-Key`).
 */
export const createFunctionHandler: CreateHandler = ({ store, events, logger, maxBodyBytes }) =>
  createLambdaHandler(
    createApp({
      store,
      events,
      idempotency: createMemoryIdempotency({ ttlSeconds: 3600, inProgressMs: 30_000, logger }),
      logger,
      maxBodyBytes,
      cursorKey: 'a-key-for-measuring-without-io',
    }),
    logger,
  ) as LambdaHandler;

/**
 * The floor with no I/O: what `bench/floor.ts` does, on the store port. The store call, the
 * event for a write, and JSON, straight from the event.
 */
export const createFloorHandler: CreateHandler =
  ({ store, events }) =>
  async (event) => {
    if (event.httpMethod === 'POST') {
      const item = JSON.parse(event.body ?? '{}') as Item;
      const created = await store.create(item);
      await events.publish({
        operation: 'POST',
        message: 'success',
        user_id: item.user_id,
        item,
        version: created.version,
        occurredAt: '',
        requestId: '',
      });
      return { statusCode: 201, body: JSON.stringify(item) };
    }
    const found = await store.get(event.queryStringParameters?.user_id ?? '');
    return found === undefined
      ? { statusCode: 404, body: '' }
      : { statusCode: 200, body: JSON.stringify(found.item) };
  };
