/**
 * `npm start`: the same core as the Lambda, on an embedded DynamoDB engine, on
 * http://127.0.0.1:3000. No AWS account needed. Ctrl-C (or SIGTERM) stops it cleanly.
 */

import { createDynamoDbClient } from '../aws-clients.js';
import { ConfigError, readLocalConfig } from '../config.js';
import { loadContract, readContractText } from '../contract.js';
import { createApp } from '../core/app.js';
import { assertCompiledFrom } from '../core/compiled-contract.js';
import { compiledContract } from '../core/contract.gen.js';
import { createLocalPublisher } from '../events/local.js';
import { postRulePatternFor } from '../events/pattern.js';
import { logger } from '../logger.js';
import { createDocumentClient, createDynamoDbStore } from '../store/dynamodb.js';
import { type Engine, ensureTable, LOCAL_CREDENTIALS, startEngine } from './engine.js';
import { startLocalServer } from './server.js';

async function main(): Promise<void> {
  const config = readLocalConfig();
  const engine: Engine | undefined =
    config.dynamodbEndpoint === undefined ? await startEngine(config.dataDir) : undefined;
  const endpoint = config.dynamodbEndpoint ?? engine?.endpoint;
  const client = createDynamoDbClient(
    { ...config, dynamodbEndpoint: endpoint },
    process.env.AWS_ACCESS_KEY_ID === undefined ? LOCAL_CREDENTIALS : undefined,
  );
  await ensureTable(client, config.tableName);

  // Served from disk here, so it may have been edited since `npm run generate` compiled the
  // routing and validators: refuse to serve one contract while checking another.
  const contractText = readContractText();
  assertCompiledFrom(compiledContract, loadContract(contractText));
  const app = await createApp({
    store: createDynamoDbStore(createDocumentClient(client), config.tableName),
    events: createLocalPublisher({
      source: config.events.source,
      region: config.region,
      pattern: postRulePatternFor(config.events.source),
      webhookUrl: config.eventsWebhookUrl,
      logger,
    }),
    logger,
    maxBodyBytes: config.maxBodyBytes,
    corsAllowOrigins: config.corsAllowOrigins,
  });
  const server = await startLocalServer({
    app,
    host: config.host,
    port: config.port,
    contractText,
    maxBodyBytes: config.maxBodyBytes,
  });

  const storage = engine === undefined ? endpoint : config.dataDir;
  console.log(
    `dynamo-crud listening on ${server.url}/dynamo (contract: ${server.url}/openapi.yaml)`,
  );
  console.log(`table ${config.tableName} on ${storage}; Ctrl-C to stop`);
  console.log(
    config.eventsWebhookUrl === undefined
      ? 'events: printed below as JSON lines (set EVENTS_WEBHOOK_URL to also POST them)'
      : `events: printed below as JSON lines; POST events also sent to ${config.eventsWebhookUrl}`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    await server.close();
    client.destroy();
    await engine?.close();
    process.exit(0);
  };
  process.on('SIGINT', (s) => void stop(s));
  process.on('SIGTERM', (s) => void stop(s));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(`dynamo-crud: ${error.message}`);
  } else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`dynamo-crud: ${(error as Error).message}; set PORT to use another port`);
  } else {
    console.error('dynamo-crud failed to start:', error);
  }
  process.exit(1);
});
