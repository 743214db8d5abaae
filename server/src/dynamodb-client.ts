import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Config } from './config.js';

/**
 * A DynamoDB client whose calls cannot hang: each attempt is bounded by `dynamodbTimeoutMs`
 * and the SDK's retries (with backoff) by `dynamodbMaxAttempts`. Past those the store answers 503.
 */
export function createDynamoDbClient(
  config: Config,
  credentials?: { accessKeyId: string; secretAccessKey: string },
): DynamoDBClient {
  return new DynamoDBClient({
    region: config.region,
    maxAttempts: config.dynamodbMaxAttempts,
    requestHandler: {
      connectionTimeout: Math.min(config.dynamodbTimeoutMs, 1_000),
      // `requestTimeout` runs until the response headers arrive; without `throwOnRequestTimeout`
      // the SDK only logs a warning when it passes, and waits on.
      requestTimeout: config.dynamodbTimeoutMs,
      throwOnRequestTimeout: true,
      // A response whose body stalls: no bytes for this long ends the attempt.
      socketTimeout: config.dynamodbTimeoutMs,
    },
    ...(config.dynamodbEndpoint === undefined ? {} : { endpoint: config.dynamodbEndpoint }),
    ...(credentials === undefined ? {} : { credentials }),
  });
}
