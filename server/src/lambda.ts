/**
 * The Lambda entry point (`handler`). Clients and the core are built once per container, at
 * module scope, so warm invocations reuse them (the EventBridge client on the first write, the
 * SQS one on the first dead letter); nothing else runs at init.
 */
import { createLambdaHandler } from './adapters/lambda.js';
import { invocationBudget, PUT_EVENTS_BACKOFF } from './aws/budget.js';
import { createDynamoDbClient, createEventBridgeClient } from './aws/clients.js';
import { readLambdaConfig } from './config.js';
import { createApp } from './core/app.js';
import { createSqsDeadLetterQueue } from './events/dead-letter.js';
import { createEventBridgePublisher } from './events/eventbridge.js';
import { createDynamoDbIdempotency } from './idempotency/store.js';
import { logger } from './logger.js';
import { createDocumentClient, createDynamoDbStore } from './store/dynamodb.js';

const config = readLambdaConfig();
const { busName, source, deadLetterQueueUrl, maxAttempts } = config.events;
/** Each AWS client, traced when tracing is on (Terraform's `tracing`); else as it is. */
const trace: <T>(client: T) => T =
  process.env.POWERTOOLS_TRACE_ENABLED === 'true'
    ? (await import('./aws/tracing.js')).traceClient
    : (client) => client;

const dynamodb = trace(createDynamoDbClient(config));

const app = createApp({
  store: createDynamoDbStore(createDocumentClient(dynamodb), config.tableName),
  // Powertools idempotency is imported on the first request with an Idempotency-Key. A
  // request's key is held "in progress" until its invocation's deadline at most.
  idempotency: createDynamoDbIdempotency({
    client: dynamodb,
    tableName: config.idempotency.tableName,
    ttlSeconds: config.idempotency.ttlSeconds,
    inProgressMs: invocationBudget(config).totalMs,
    logger,
  }),
  events: createEventBridgePublisher({
    // Built on the first write: a container that only serves reads never needs it.
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
  logger,
  maxBodyBytes: config.maxBodyBytes,
  corsAllowOrigins: config.corsAllowOrigins,
  cursorKey: config.cursorKey,
  corsAllowHeaders: config.corsAllowHeaders,
  // A listing scans again only when one more Scan at its worst still ends before the timeout.
  readReserveMs: invocationBudget(config).dynamodbMs + invocationBudget(config).handlerMs,
});

export const handler = createLambdaHandler(app, logger);
