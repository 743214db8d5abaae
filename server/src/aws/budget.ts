/**
 * How long one invocation can take, at worst, with a configuration: every DynamoDB attempt, every
 * `PutEvents` attempt and every dead-letter `SendMessage` attempt running to its time limit, with
 * the longest backoff between. Terraform's default `lambda_timeout_seconds` must cover it (a test
 * reads both), so that with default settings an invocation is never killed between a committed
 * write and the record of its event. The publisher also watches the invocation's deadline
 * (`PublishOptions.deadline`), for settings that do not add up.
 */
import type { Config } from '../config.js';
import {
  EVENTBRIDGE_ATTEMPT_TIMEOUT_MS,
  SQS_ATTEMPT_TIMEOUT_MS,
  SQS_MAX_ATTEMPTS,
} from './clients.js';

/** The publisher's backoff between `PutEvents` attempts (full jitter, exponential). */
export const PUT_EVENTS_BACKOFF = { baseDelayMs: 50, maxDelayMs: 1_000 } as const;

/**
 * What the function does besides waiting on AWS (routing, validation, JSON, logging), at most,
 * in milliseconds; the logs' `duration` of a warm request is a few milliseconds.
 */
export const HANDLER_MARGIN_MS = 1_000;

/**
 * The AWS SDK's longest total backoff over `maxAttempts` attempts: before retry i (1-based) it
 * waits up to min(20 s, 500 ms × 2^i) when throttled (`THROTTLING_RETRY_DELAY_BASE` and
 * `MAXIMUM_RETRY_DELAY` of @smithy/core's retry strategy; other errors use a 100 ms base).
 */
export function sdkBackoffBoundMs(maxAttempts: number): number {
  let total = 0;
  for (let retry = 1; retry < maxAttempts; retry++) total += Math.min(20_000, 500 * 2 ** retry);
  return total;
}

/** The publisher's longest total backoff over `maxAttempts` `PutEvents` attempts. */
export function putEventsBackoffBoundMs(maxAttempts: number): number {
  let total = 0;
  for (let attempt = 1; attempt < maxAttempts; attempt++) {
    total += Math.min(
      PUT_EVENTS_BACKOFF.maxDelayMs,
      PUT_EVENTS_BACKOFF.baseDelayMs * 2 ** (attempt - 1),
    );
  }
  return total;
}

/** The worst case of the dead-letter queue: every `SendMessage` attempt timing out. */
export const DEAD_LETTER_BOUND_MS =
  SQS_MAX_ATTEMPTS * SQS_ATTEMPT_TIMEOUT_MS + sdkBackoffBoundMs(SQS_MAX_ATTEMPTS);

export interface InvocationBudget {
  readonly dynamodbMs: number;
  readonly putEventsMs: number;
  readonly deadLetterMs: number;
  readonly handlerMs: number;
  /** The sum: the shortest Lambda timeout under which nothing is cut short. */
  readonly totalMs: number;
}

/** The worst case of one write request under `config`, part by part, in milliseconds. */
export function invocationBudget(
  config: Pick<Config, 'dynamodbTimeoutMs' | 'dynamodbMaxAttempts' | 'events'>,
): InvocationBudget {
  const dynamodbMs =
    config.dynamodbMaxAttempts * config.dynamodbTimeoutMs +
    sdkBackoffBoundMs(config.dynamodbMaxAttempts);
  const putEventsMs =
    config.events.maxAttempts * EVENTBRIDGE_ATTEMPT_TIMEOUT_MS +
    putEventsBackoffBoundMs(config.events.maxAttempts);
  const deadLetterMs = DEAD_LETTER_BOUND_MS;
  const handlerMs = HANDLER_MARGIN_MS;
  return {
    dynamodbMs,
    putEventsMs,
    deadLetterMs,
    handlerMs,
    totalMs: dynamodbMs + putEventsMs + deadLetterMs + handlerMs,
  };
}
