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
      requestTimeout: config.dynamodbTimeoutMs,
    },
    ...(config.dynamodbEndpoint === undefined ? {} : { endpoint: config.dynamodbEndpoint }),
    ...(credentials === undefined ? {} : { credentials }),
  });
}
