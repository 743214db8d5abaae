/**
 * The SQS dead-letter queue for events EventBridge would not take. The SQS client is loaded on
 * the first dead letter, not at start: most containers never need it, and Lambda bills init.
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  boundedRequests,
  type Credentials,
  SQS_ATTEMPT_TIMEOUT_MS,
  SQS_MAX_ATTEMPTS,
} from '../aws/clients.js';

/** What the dead-letter queue receives: the entry as it would have been put, and why not. */
export interface DeadLetter {
  readonly entry: PutEventsRequestEntry;
  readonly reason: string;
  readonly attempts: number;
  readonly failedAt: string;
}

export interface DeadLetterQueue {
  /**
   * @param signal aborts the send (the invocation's deadline is near).
   * @throws when SQS does not take the message (after the SDK's own retries), or on abort.
   */
  send(letter: DeadLetter, signal?: AbortSignal): Promise<void>;
}

export function createSqsDeadLetterQueue(
  queueUrl: string,
  options: {
    region: string;
    credentials?: Credentials;
    /** Wraps the client once made (tracing). */
    trace?: <T>(client: T) => T;
  },
): DeadLetterQueue {
  let client:
    | Promise<{
        sqs: SQSClient;
        SendMessageCommand: typeof import('@aws-sdk/client-sqs').SendMessageCommand;
      }>
    | undefined;
  const load = () => {
    client ??= import('@aws-sdk/client-sqs').then(({ SQSClient, SendMessageCommand }) => ({
      sqs: (options.trace ?? ((client) => client))(
        new SQSClient({
          region: options.region,
          maxAttempts: SQS_MAX_ATTEMPTS,
          requestHandler: boundedRequests(SQS_ATTEMPT_TIMEOUT_MS),
          ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
        }),
      ),
      SendMessageCommand,
    }));
    return client;
  };
  return {
    async send(letter, signal) {
      const { sqs, SendMessageCommand } = await load();
      await sqs.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(letter) }),
        signal === undefined ? {} : { abortSignal: signal },
      );
    },
  };
}
