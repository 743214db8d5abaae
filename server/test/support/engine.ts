/**
 * A real DynamoDB engine for a test file: dynalite in-process, or the engine at
 * `DYNAMODB_ENDPOINT` when set (e.g. DynamoDB Local). Each call gets a fresh table.
 */
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { createDynamoDbClient } from '../../src/aws/clients.js';
import { readConfig } from '../../src/config.js';
import { IDEMPOTENCY_TABLE_KEY } from '../../src/idempotency/store.js';
import {
  type Engine,
  ensureTable,
  LOCAL_CREDENTIALS,
  startEngine,
} from '../../src/local/dynalite.js';
import { createDocumentClient } from '../../src/store/dynamodb.js';

export interface TestTable {
  readonly endpoint: string;
  readonly tableName: string;
  /** A table of its own for the answers of writes sent with an `Idempotency-Key`. */
  readonly idempotencyTableName: string;
  readonly client: DynamoDBClient;
  readonly documentClient: DynamoDBDocumentClient;
}

/**
 * Starts (or connects to) an engine and creates a table (and one for idempotency records) before
 * the file's tests; cleans up after.
 */
export function useTable(): TestTable {
  const table = {} as { -readonly [K in keyof TestTable]: TestTable[K] };
  let engine: Engine | undefined;
  beforeAll(async () => {
    const external = process.env.DYNAMODB_ENDPOINT;
    engine = external === undefined ? await startEngine(':memory:') : undefined;
    table.endpoint = external ?? (engine as Engine).endpoint;
    table.tableName = `items-${randomUUID()}`;
    table.idempotencyTableName = `${table.tableName}-idempotency`;
    table.client = createTestClient(table.endpoint);
    table.documentClient = createDocumentClient(table.client);
    await ensureTable(table.client, table.tableName);
    await ensureTable(table.client, table.idempotencyTableName, IDEMPOTENCY_TABLE_KEY);
  });
  afterAll(async () => {
    if (process.env.DYNAMODB_ENDPOINT !== undefined) {
      await table.client.send(new DeleteTableCommand({ TableName: table.tableName }));
      await table.client.send(new DeleteTableCommand({ TableName: table.idempotencyTableName }));
    }
    table.client?.destroy();
    await engine?.close();
  });
  return table;
}

/** A client with the server's own timeouts and retries, pointed at `endpoint`. */
export function createTestClient(
  endpoint: string,
  overrides: Record<string, string> = {},
): DynamoDBClient {
  const config = readConfig({
    TABLE_NAME: 'unused',
    AWS_REGION: 'us-east-1',
    DYNAMODB_ENDPOINT: endpoint,
    ...overrides,
  });
  return createDynamoDbClient(config, LOCAL_CREDENTIALS);
}
