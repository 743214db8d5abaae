/**
 * The Lambda entry point (`handler`). Clients and the core are built once per container, at
 * module scope, so warm invocations reuse them; nothing else runs at init.
 */
import { createLambdaHandler } from './adapters/lambda.js';
import { readConfig } from './config.js';
import { loadContract } from './contract.js';
import { createApp } from './core/app.js';
import { createDynamoDbClient } from './dynamodb-client.js';
import { logger } from './logger.js';
import { createDocumentClient, createDynamoDbStore } from './store/dynamodb.js';

const config = readConfig();
const store = createDynamoDbStore(
  createDocumentClient(createDynamoDbClient(config)),
  config.tableName,
);
const app = createApp({
  contract: loadContract(),
  store,
  logger,
  maxBodyBytes: config.maxBodyBytes,
});

export const handler = createLambdaHandler(app, logger);
