/**
 * The Lambda entry point (`handler`). Clients and the core are built once per container, at
 * module scope, so warm invocations reuse them (the EventBridge client on the first write, the
 * SQS one on the first dead letter); nothing else runs at init.
 */
import { createLambdaHandler } from './adapters/lambda.js';
import { createAwsPorts } from './aws/ports.js';
import { readLambdaConfig } from './config.js';
import { createApp } from './core/app.js';
import { logger } from './logger.js';

const config = readLambdaConfig();

const app = createApp({
  ...createAwsPorts(config),
  logger,
  maxBodyBytes: config.maxBodyBytes,
  corsAllowOrigins: config.corsAllowOrigins,
});

export const handler = createLambdaHandler(app, logger);
