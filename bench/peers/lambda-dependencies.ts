/**
 * A peer's Lambda wiring: the function's own clients, store and publisher, built from the
 * environment once per container, at module scope, exactly as `server/src/lambda.ts` builds
 * them. Every peer's bundle starts from here (`bench/peers/variants.ts` writes the entry).
 */
import { fileURLToPath } from 'node:url';
import { createDynamoDbClient, createEventBridgeClient } from '../../server/src/aws/clients.js';
import { readLambdaConfig } from '../../server/src/config.js';
import { createSqsDeadLetterQueue } from '../../server/src/events/dead-letter.js';
import { createEventBridgePublisher } from '../../server/src/events/eventbridge.js';
import { logger } from '../../server/src/logger.js';
import { createDocumentClient, createDynamoDbStore } from '../../server/src/store/dynamodb.js';
import type { PeerDependencies } from './shared.js';

/** @param bundleUrl the entry's `import.meta.url`: openapi.yaml ships beside it. */
export function lambdaDependencies(bundleUrl: string): PeerDependencies {
  const config = readLambdaConfig();
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
    logger,
    maxBodyBytes: config.maxBodyBytes,
    openApiPath: fileURLToPath(new URL('openapi.yaml', bundleUrl)),
  };
}
