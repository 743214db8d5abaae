/**
 * AWS clients whose calls cannot hang. Created once per process (module scope in the Lambda),
 * so warm invocations reuse their connections.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Config } from '../config.js';

/** Time limit of one `PutEvents` attempt, in milliseconds; the publisher makes each attempt. */
export const EVENTBRIDGE_ATTEMPT_TIMEOUT_MS = 2_000;
/** Time limit of one SQS `SendMessage` attempt to the dead-letter queue, in milliseconds. */
export const SQS_ATTEMPT_TIMEOUT_MS = 2_000;
/** `SendMessage` attempts to the dead-letter queue (the SQS client's own retries, with backoff). */
export const SQS_MAX_ATTEMPTS = 2;

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * Time limits for one attempt. `requestTimeout` runs until the response headers arrive and,
 * without `throwOnRequestTimeout`, the SDK only logs a warning when it passes and waits on;
 * `socketTimeout` ends a response whose body stalls.
 */
export function boundedRequests(timeoutMs: number) {
  return {
    connectionTimeout: Math.min(timeoutMs, 1_000),
    requestTimeout: timeoutMs,
    throwOnRequestTimeout: true,
    socketTimeout: timeoutMs,
  };
}

/**
 * Each DynamoDB attempt is bounded by `dynamodbTimeoutMs` and the SDK's retries (with backoff)
 * by `dynamodbMaxAttempts`. Past those the store answers 503.
 */
export function createDynamoDbClient(config: Config, credentials?: Credentials): DynamoDBClient {
  return new DynamoDBClient({
    region: config.region,
    maxAttempts: config.dynamodbMaxAttempts,
    requestHandler: boundedRequests(config.dynamodbTimeoutMs),
    ...(config.dynamodbEndpoint === undefined ? {} : { endpoint: config.dynamodbEndpoint }),
    ...(credentials === undefined ? {} : { credentials }),
  });
}

/** One HTTP request per `send`: the publisher owns the retry plan, so attempts are exact. */
export function createEventBridgeClient(
  config: Config,
  credentials?: Credentials,
): EventBridgeClient {
  return new EventBridgeClient({
    region: config.region,
    maxAttempts: 1,
    requestHandler: boundedRequests(EVENTBRIDGE_ATTEMPT_TIMEOUT_MS),
    ...(credentials === undefined ? {} : { credentials }),
  });
}
