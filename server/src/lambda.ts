/**
 * The Lambda entry point (`handler`). Clients and the core are built once per container, at
 * module scope, so warm invocations reuse them (the EventBridge client on the first write, the
 * SQS one on the first dead letter); nothing else runs at init.
 */
import { createLambdaHandler } from './adapters/lambda.js';
import { invocationBudget } from './aws/budget.js';
import { createAwsPorts } from './aws/ports.js';
import { readLambdaConfig } from './config.js';
import { createApp } from './core/app.js';
import { logger } from './logger.js';

const config = readLambdaConfig();
/** Each AWS client, traced when tracing is on (Terraform's `tracing`); else as it is. */
const trace: <T>(client: T) => T =
  process.env.POWERTOOLS_TRACE_ENABLED === 'true'
    ? (await import('./aws/tracing.js')).traceClient
    : (client) => client;

const budget = invocationBudget(config);

const app = createApp({
  ...createAwsPorts(config, trace),
  logger,
  maxBodyBytes: config.maxBodyBytes,
  corsAllowOrigins: config.corsAllowOrigins,
  cursorKey: config.cursorKey,
  corsAllowHeaders: config.corsAllowHeaders,
  // A listing scans again only when one more Scan at its worst still ends before the timeout.
  readReserveMs: budget.dynamodbMs + budget.handlerMs,
});

export const handler = createLambdaHandler(app, logger);
