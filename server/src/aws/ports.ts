/**
 * The core's ports on AWS, as the Lambda wires them: the DynamoDB store, the idempotency store
 * (Powertools, imported on the first request with an Idempotency-Key; a key is held "in
 * progress" until its invocation's deadline at most) and the EventBridge publisher (its client
 * built on the first write: a container that only serves reads never needs it; the SQS
 * dead-letter queue when `DLQ_URL` is set, its client on the first dead letter). Built once per
 * container, at module scope, so warm invocations reuse them. The bench's peers
 * (`bench/peers/`) wire the same ports, so they are measured doing the same work.
 */
import type { LambdaConfig } from '../config.js';
import type { AppOptions } from '../core/app.js';
import { createSqsDeadLetterQueue } from '../events/dead-letter.js';
import { createEventBridgePublisher } from '../events/eventbridge.js';
import { createDynamoDbIdempotency } from '../idempotency/store.js';
import { logger } from '../logger.js';
import { createDocumentClient, createDynamoDbStore } from '../store/dynamodb.js';
import { invocationBudget, PUT_EVENTS_BACKOFF } from './budget.js';
import { createDynamoDbClient, createEventBridgeClient } from './clients.js';

/**
 * @param trace wraps each AWS client (X-Ray, when Terraform's `tracing` is on); default: none.
 */
export function createAwsPorts(
  config: LambdaConfig,
  trace: <T>(client: T) => T = (client) => client,
): Pick<AppOptions, 'store' | 'events' | 'idempotency'> {
  const { busName, source, deadLetterQueueUrl, maxAttempts } = config.events;
  const dynamodb = trace(createDynamoDbClient(config));
  return {
    store: createDynamoDbStore(createDocumentClient(dynamodb), config.tableName),
    idempotency: createDynamoDbIdempotency({
      client: dynamodb,
      tableName: config.idempotency.tableName,
      ttlSeconds: config.idempotency.ttlSeconds,
      inProgressMs: invocationBudget(config).totalMs,
      logger,
    }),
    events: createEventBridgePublisher({
      eventBridge: () => trace(createEventBridgeClient(config)),
      busName,
      source,
      deadLetter:
        deadLetterQueueUrl === undefined
          ? undefined
          : createSqsDeadLetterQueue(deadLetterQueueUrl, { region: config.region, trace }),
      retry: { maxAttempts, ...PUT_EVENTS_BACKOFF },
      logger,
    }),
  };
}
