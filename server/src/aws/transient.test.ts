import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { isTransientAwsError, isTransientAwsErrorCode } from './transient.js';

/** An error as the AWS SDK throws it: a name, and `$metadata` once the request was sent. */
function sdkError(name: string, status?: number, extra: Record<string, unknown> = {}): Error {
  const error = Object.assign(new Error(name), extra, {
    $metadata: status === undefined ? { attempts: 1 } : { httpStatusCode: status, attempts: 1 },
  });
  error.name = name;
  return error;
}

describe('isTransientAwsError', () => {
  it.each([
    ['throttled', sdkError('ProvisionedThroughputExceededException', 400)],
    ['throttled, another name', sdkError('ThrottlingException', 400)],
    ['a 429', sdkError('Whatever', 429)],
    ['a 500', sdkError('InternalServerError', 500)],
    ['an HTML 503 from a proxy', sdkError('Error', 503)],
    ['the attempt timed out', sdkError('TimeoutError')],
    ['the connection was refused', sdkError('Error', undefined, { code: 'ECONNREFUSED' })],
    ['no HTTP answer at all', sdkError('TypeError')],
    ['marked retryable by the service', sdkError('X', 400, { $retryable: {} })],
  ])('%s: transient', (_what, error) => {
    expect(isTransientAwsError(error)).toBe(true);
  });

  it.each([
    [
      'a failed condition',
      new ConditionalCheckFailedException({ message: 'x', $metadata: { httpStatusCode: 400 } }),
    ],
    ['a refused request', sdkError('ValidationException', 400)],
    ['access denied', sdkError('AccessDeniedException', 403)],
    ['a missing table', sdkError('ResourceNotFoundException', 400)],
    ['a value refused before sending (no $metadata)', new TypeError('Number is too big')],
    ['not an error', 'ECONNRESET'],
  ])('%s: not transient', (_what, error) => {
    expect(isTransientAwsError(error)).toBe(false);
  });
});

describe('isTransientAwsErrorCode', () => {
  it.each([
    ['ThrottlingException', true],
    ['InternalFailure', true],
    ['InternalException', true],
    ['AccessDeniedException', false],
    ['MalformedDetail', false],
  ])('%s: %s', (code, transient) => {
    expect(isTransientAwsErrorCode(code)).toBe(transient);
  });
});
