import { Logger } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';

/**
 * Names whose values are credentials, wherever they sit in a log line (request headers, an API
 * Gateway event, query parameters of a presigned URL), compared case-insensitively: the
 * caller's `Authorization` (a SigV4 signature, a bearer token), cookies, the SigV4 session
 * token, signature and credential scope, API keys. `X-Amz-Date` and `X-Amz-Content-Sha256`
 * are not secrets and stay.
 */
export const REDACTED_NAMES: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'cookies',
  'set-cookie',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-credential',
  'x-api-key',
]);

export const REDACTED = '[REDACTED]';

/** The secret parameters of a SigV4-presigned URL, inside a query string. */
const SIGNED_QUERY_PARAMETER = /(x-amz-(?:signature|security-token|credential))=[^&\s"]*/gi;

/**
 * The logger's JSON replacer: a value under a secret name is written as `[REDACTED]`,
 * however deep in the line it is. Structural, so a new log line cannot forget it. Inside
 * strings it only finds a presigned URL's parameters: a secret pasted into a message is kept.
 */
export function redactSecrets(key: string, value: unknown): unknown {
  if (value === undefined) return value;
  if (REDACTED_NAMES.has(key.toLowerCase())) return REDACTED;
  // A raw query string (an HTTP API event's `rawQueryString`, a URL) may carry a presigned
  // URL's signature and token: the parameters are redacted, the rest of the string kept.
  if (typeof value === 'string' && /x-amz-/i.test(value)) {
    return value.replace(SIGNED_QUERY_PARAMETER, (_m, name: string) => `${name}=${REDACTED}`);
  }
  return value;
}

/** A logger as the server's: structured JSON, secrets redacted. Tests make their own with it. */
export function createLogger(options: ConstructorOptions = {}): Logger {
  return new Logger({ serviceName: 'dynamo-crud', jsonReplacerFn: redactSecrets, ...options });
}

/**
 * The one logger: structured JSON, keys not sentences. `POWERTOOLS_LOG_LEVEL` sets the level
 * and `POWERTOOLS_SERVICE_NAME` the service name.
 */
export const logger = createLogger();
