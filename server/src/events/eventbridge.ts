/**
 * The only code that speaks EventBridge. One `PutEvents` entry per committed write.
 *
 * `PutEvents` answers 200 even when its entry failed, so `FailedEntryCount` is read, not
 * trusted away. Throttling, internal failures, 5xx and network errors are retried with full
 * jitter backoff up to `maxAttempts`; what still fails, or fails for good (access denied, a
 * missing bus), goes to the SQS dead-letter queue and to the error log with the whole event.
 */

import type { Logger } from '@aws-lambda-powertools/logger';
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { isTransientAwsError, isTransientAwsErrorCode } from '../aws/transient.js';
import { stringifyJson } from '../core/json.js';
import { type EventPublisher, eventDetailType, type WriteEventDetail } from '../core/ports.js';
import type { DeadLetter, DeadLetterQueue } from './dead-letter.js';

/** The EventBridge actions this publisher calls; Terraform grants exactly these. */
export const EVENTBRIDGE_ACTIONS = ['events:PutEvents'] as const;
/** The SQS actions this publisher calls on its dead-letter queue. */
export const SQS_ACTIONS = ['sqs:SendMessage'] as const;

/** EventBridge refuses entries over 256 KB. */
const MAX_ENTRY_BYTES = 256 * 1024;

export interface RetryPolicy {
  /** PutEvents attempts, the first included. */
  readonly maxAttempts: number;
  /** The backoff before attempt n+1 is a random time up to min(maxDelayMs, baseDelayMs * 2^(n-1)). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export interface EventBridgePublisherOptions {
  /**
   * Make it with `maxAttempts: 1`: this publisher owns the retry plan. A function is called on
   * the first event, so a container that only serves reads never builds the client (the
   * Lambda's init is billed; `lambda.ts` passes one).
   */
  readonly eventBridge: EventBridgeClient | (() => EventBridgeClient);
  readonly busName: string;
  readonly source: string;
  /** Where undeliverable events go; without it they are only logged. */
  readonly deadLetter: DeadLetterQueue | undefined;
  readonly retry: RetryPolicy;
  readonly logger: Logger;
  /** For tests: waits between attempts. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export function createEventBridgePublisher(options: EventBridgePublisherOptions): EventPublisher {
  const { busName, source, deadLetter, retry, logger } = options;
  const given = options.eventBridge;
  const create = typeof given === 'function' ? given : () => given;
  let eventBridge: EventBridgeClient | undefined;
  const client = () => {
    eventBridge ??= create();
    return eventBridge;
  };
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));

  async function publish(detail: WriteEventDetail): Promise<void> {
    const entry = toEntry(detail, busName, source);
    let reason = 'not attempted';
    let attempt = 0;
    while (attempt < retry.maxAttempts) {
      attempt++;
      const outcome = await putOnce(entry);
      if (outcome.ok) return;
      reason = outcome.reason;
      if (!outcome.retryable) break;
      if (attempt < retry.maxAttempts) await sleep(backoff(attempt, retry));
    }
    await sendToDeadLetter({
      entry,
      reason,
      attempts: attempt,
      failedAt: new Date().toISOString(),
    });
  }

  async function putOnce(
    entry: PutEventsRequestEntry,
  ): Promise<{ ok: true } | { ok: false; retryable: boolean; reason: string }> {
    try {
      const result = await client().send(new PutEventsCommand({ Entries: [entry] }));
      const failed = result.Entries?.[0];
      if ((result.FailedEntryCount ?? 0) === 0 && failed?.ErrorCode === undefined)
        return { ok: true };
      const code = failed?.ErrorCode ?? 'UnknownFailure';
      return {
        ok: false,
        retryable: isTransientAwsErrorCode(code),
        reason: `entry failed: ${code}${failed?.ErrorMessage ? ` (${failed.ErrorMessage})` : ''}`,
      };
    } catch (error) {
      return {
        ok: false,
        retryable: isTransientAwsError(error),
        reason: `PutEvents failed: ${describe(error)}`,
      };
    }
  }

  async function sendToDeadLetter(letter: DeadLetter): Promise<void> {
    let deadLetterOutcome = 'no DLQ_URL configured';
    if (deadLetter !== undefined) {
      try {
        await deadLetter.send(letter);
        deadLetterOutcome = 'sent to the dead-letter queue';
      } catch (error) {
        deadLetterOutcome = `dead-letter queue failed: ${describe(error)}`;
      }
    }
    // Always at error level, with the whole event: this is the record of last resort.
    logger.error('event not delivered to EventBridge', {
      reason: letter.reason,
      attempts: letter.attempts,
      deadLetter: deadLetterOutcome,
      event: letter.entry,
    });
  }

  return { publish };
}

/** The `PutEvents` entry for a write, trimmed to fit 256 KB if it must be. */
export function toEntry(
  detail: WriteEventDetail,
  busName: string,
  source: string,
): PutEventsRequestEntry {
  const entry = (d: WriteEventDetail): PutEventsRequestEntry => ({
    EventBusName: busName,
    Source: source,
    DetailType: eventDetailType(d.operation),
    Detail: stringifyJson(d),
  });
  const size = (e: PutEventsRequestEntry) =>
    Buffer.byteLength(e.Detail ?? '') +
    Buffer.byteLength(e.DetailType ?? '') +
    Buffer.byteLength(source);
  let full = entry(detail);
  if (size(full) <= MAX_ENTRY_BYTES) return full;
  const { previous: _previous, ...withoutPrevious } = detail;
  full = entry({ ...withoutPrevious, truncated: true });
  if (size(full) <= MAX_ENTRY_BYTES) return full;
  const { item: _item, ...bare } = withoutPrevious;
  return entry({ ...bare, truncated: true });
}

function backoff(attempt: number, retry: RetryPolicy): number {
  const cap = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(Math.random() * cap);
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return `${error.name}${status === undefined ? '' : ` (HTTP ${status})`}: ${error.message}`;
}
