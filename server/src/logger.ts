import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one logger: structured JSON, keys not sentences. `POWERTOOLS_LOG_LEVEL` sets the level
 * and `POWERTOOLS_SERVICE_NAME` the service name.
 */
export const logger = new Logger({ serviceName: 'dynamo-crud' });
