/**
 * The only code that speaks EventBridge. One `PutEvents` entry per committed write.
 *
 * `PutEvents` answers 200 even when its entry failed, so `FailedEntryCount` is read, not
 * trusted away. Throttling, internal failures, 5xx and network errors are retried with full
 * jitter backoff up to `maxAttempts`; what still fails, or fails for good (access denied, a
 * missing bus), goes to the error log with the whole event and then to the SQS dead-letter queue.
 *
 * The invocation's deadline (`PublishOptions.deadline`) bounds all of it: no attempt or backoff
 * starts that could not end before the deadline with time left for the dead-letter queue
 * (`DEAD_LETTER_BOUND_MS`); the event is logged before the queue is tried, and the queue's send
 * is aborted at the deadline. So an invocation stopped at its timeout never takes an event away
 * unrecorded: the error log has it, whole, whatever happens after.
 */

import type { Logger } from '@aws-lambda-powertools/logger';
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { DEAD_LETTER_BOUND_MS } from '../aws/budget.js';
import { EVENTBRIDGE_ATTEMPT_TIMEOUT_MS } from '../aws/clients.js';
import { isTransientAwsError, isTransientAwsErrorCode } from '../aws/transient.js';
import { stringifyJson } from '../core/json.js';
import {
  type EventPublisher,
  eventDetailType,
  type PublishOptions,
  type WriteEventDetail,
} from '../core/ports.js';
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
  /** For tests: the clock (epoch milliseconds) the deadline is read against. */
  readonly now?: () => number;
}

/** Kept free before the deadline for the last log line, in milliseconds. */
const LOG_MARGIN_MS = 100;

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
  const now = options.now ?? Date.now;

  async function publish(
    detail: WriteEventDetail,
    { deadline }: PublishOptions = {},
  ): Promise<void> {
    const entry = toEntry(detail, busName, source);
    // Whether `ms` more of waiting, then an attempt, still leaves time to dead-letter the event.
    const fits = (ms: number) =>
      deadline === undefined ||
      now() + ms + EVENTBRIDGE_ATTEMPT_TIMEOUT_MS + DEAD_LETTER_BOUND_MS <= deadline;
    let reason = 'not attempted: the invocation ends too soon';
    let attempt = 0;
    while (attempt < retry.maxAttempts && fits(0)) {
      attempt++;
      const outcome = await putOnce(entry);
      if (outcome.ok) return;
      reason = outcome.reason;
      if (!outcome.retryable || attempt === retry.maxAttempts) break;
      const delay = backoff(attempt, retry);
      if (!fits(delay)) {
        reason = `${reason}; not retried: the invocation ends too soon`;
        break;
      }
      await sleep(delay);
    }
    await sendToDeadLetter(
      { entry, reason, attempts: attempt, failedAt: new Date(now()).toISOString() },
      deadline,
    );
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

  async function sendToDeadLetter(letter: DeadLetter, deadline: number | undefined): Promise<void> {
    // First the record of last resort, at error level with the whole event: if the invocation
    // is stopped while the queue is tried, this line is already written.
    logger.error('event not delivered to EventBridge', {
      reason: letter.reason,
      attempts: letter.attempts,
      deadLetter: deadLetter === undefined ? 'no DLQ_URL configured' : 'sending',
      event: letter.entry,
    });
    if (deadLetter === undefined) return;
    const correlation = { requestId: requestIdOf(letter.entry), reason: letter.reason };
    try {
      const signal =
        deadline === undefined
          ? undefined
          : AbortSignal.timeout(Math.max(0, deadline - now() - LOG_MARGIN_MS));
      await deadLetter.send(letter, signal);
      logger.info('undelivered event sent to the dead-letter queue', correlation);
    } catch (error) {
      logger.error('dead-letter queue failed: the event is only in the log', {
        ...correlation,
        deadLetter: `dead-letter queue failed: ${describe(error)}`,
      });
    }
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

/** The request id the event's detail carries, to find the logged event again. */
function requestIdOf(entry: PutEventsRequestEntry): string | undefined {
  try {
    return (JSON.parse(entry.Detail ?? '{}') as { requestId?: string }).requestId;
  } catch {
    return undefined;
  }
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
