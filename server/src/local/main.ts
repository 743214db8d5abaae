/**
 * `npm start`: the same core as the Lambda, on an embedded DynamoDB engine, on
 * http://127.0.0.1:3000. No AWS account needed. Ctrl-C (or SIGTERM) stops it cleanly.
 */

import { ConfigError } from '../config.js';
import { startLocal } from './start.js';

async function main(): Promise<void> {
  const api = await startLocal(process.env);
  const { config } = api;
  console.log(`dynamo-crud listening on ${api.url}/dynamo (contract: ${api.url}/openapi.yaml)`);
  console.log(`API reference, with try it out: ${api.url}/docs`);
  console.log(`table ${config.tableName} on ${api.storage}; Ctrl-C to stop`);
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
    await api.close();
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
