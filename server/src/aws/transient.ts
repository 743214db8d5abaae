/**
 * The one answer to "would a later attempt of this AWS call work?", for every part that calls
 * AWS (the store, the event publisher). Built on the AWS SDK's own classification
 * (`@smithy/core/retry`, what the SDK's retry strategy uses): throttling, timeouts, refused or
 * reset connections, 5xx answers, errors the service marks retryable.
 */
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';

/**
 * Codes AWS services give for failures on their side, which AWS documents as retryable and the
 * SDK's lists leave to the HTTP status (a `PutEvents` entry has none: its call answered 200).
 * See the EventBridge API reference, `PutEventsResultEntry.ErrorCode`.
 */
const INTERNAL_FAILURE_CODES: ReadonlySet<string> = new Set([
  'InternalFailure',
  'InternalException',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

/**
 * Whether `error`, thrown by an AWS SDK call, is worth another attempt later: what the SDK
 * classifies as throttling, transient or a server error, a documented internal failure code,
 * or a request that got no HTTP answer at all. The last: the SDK's retry step stamps
 * `$metadata` on every error of a request it sent, with `httpStatusCode` only when an answer
 * came; an error without it is the transport's (reset, refused, TLS, a fetch `TypeError`),
 * whatever its code. Errors thrown before sending (a value the marshaller refuses) have no
 * `$metadata`, and are not transient: they fail the same way every time.
 */
export function isTransientAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const sdkError = error as Parameters<typeof isTransientError>[0];
  const metadata = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  return (
    isThrottlingError(sdkError) ||
    isTransientError(sdkError) ||
    isServerError(sdkError) ||
    INTERNAL_FAILURE_CODES.has(error.name) ||
    (metadata !== undefined && metadata.httpStatusCode === undefined)
  );
}

/** Whether an error code a service returned in its answer (not thrown) is worth a retry. */
export function isTransientAwsErrorCode(code: string): boolean {
  const error = new Error(code);
  error.name = code;
  return isTransientAwsError(error);
}
