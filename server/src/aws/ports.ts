/**
 * The core's ports on AWS, as the Lambda wires them: the DynamoDB store, and the EventBridge
 * publisher (its client built on the first write: a container that only serves reads never
 * needs it; the SQS dead-letter queue when `DLQ_URL` is set, its client on the first dead
 * letter). Built once per container, at module scope, so warm invocations reuse them.
 */
import type { LambdaConfig } from '../config.js';
import type { EventPublisher, ItemStore } from '../core/ports.js';
import { createSqsDeadLetterQueue } from '../events/dead-letter.js';
import { createEventBridgePublisher } from '../events/eventbridge.js';
import { logger } from '../logger.js';
import { createDocumentClient, createDynamoDbStore } from '../store/dynamodb.js';
import { createDynamoDbClient, createEventBridgeClient } from './clients.js';

export function createAwsPorts(config: LambdaConfig): {
  store: ItemStore;
  events: EventPublisher;
} {
  const { busName, source, deadLetterQueueUrl, maxAttempts } = config.events;
  return {
    store: createDynamoDbStore(
      createDocumentClient(createDynamoDbClient(config)),
      config.tableName,
    ),
    events: createEventBridgePublisher({
      eventBridge: () => createEventBridgeClient(config),
      busName,
      source,
      deadLetter:
        deadLetterQueueUrl === undefined
          ? undefined
          : createSqsDeadLetterQueue(deadLetterQueueUrl, { region: config.region }),
      retry: { maxAttempts, baseDelayMs: 50, maxDelayMs: 1_000 },
      logger,
    }),
  };
}
