/**
 * The EventBridge publisher on the wire. EventBridge and SQS have no local engine, so msw answers
 * their HTTP APIs; the SDK clients (signing, serialisation, the SQS client's own retries) and the
 * publisher's retry plan are real, only the waits between attempts are skipped. Every case
 * asserts the exact requests sent: an event reaches the bus, or the dead-letter queue, exactly
 * once per attempt plan; never dropped, never duplicated.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEAD_LETTER_BOUND_MS } from '../src/aws/budget.js';
import {
  createEventBridgeClient,
  EVENTBRIDGE_ATTEMPT_TIMEOUT_MS,
  SQS_MAX_ATTEMPTS,
} from '../src/aws/clients.js';
import { readConfig } from '../src/config.js';
import { NumberValue, parseJson, stringifyJson } from '../src/core/json.js';
import type { Item, WriteEventDetail } from '../src/core/ports.js';
import { createSqsDeadLetterQueue } from '../src/events/dead-letter.js';
import { createEventBridgePublisher, type RetryPolicy } from '../src/events/eventbridge.js';
import { matchesPattern, postRulePatternFor } from '../src/events/rule-pattern.js';
import {
  eventBridgeAnswers,
  type PutEventsEntry,
  sqsAnswers,
  useAwsFakes,
} from './support/aws-fakes.js';
import { expectValidSchema } from './support/conformance.js';

const REGION = 'us-east-1';
const BUS_NAME = 'items-bus';
const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/items-events-dlq';
const CREDENTIALS = { accessKeyId: 'AKIDEVENTSTEST', secretAccessKey: 'events-test-secret' };
/** Small, so that every plan is short; caps 100 ms then 150 ms (never waited: `sleep` is ours). */
const RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 150 };
/** EventBridge's limit on one entry. */
const MAX_ENTRY_BYTES = 256 * 1024;

// ---------------------------------------------------------------------------------------------
// EventBridge and SQS, as seen on the wire
// ---------------------------------------------------------------------------------------------

const aws = useAwsFakes(REGION);
const { eventBridge, sqs } = aws;
afterEach(() => {
  vi.restoreAllMocks();
});

/** The entry of each PutEvents request; fails unless each is a PutEvents with one entry. */
function putEntries(): PutEventsEntry[] {
  return eventBridge.requests.map(({ headers, body }) => {
    expect(headers['x-amz-target']).toBe('AWSEvents.PutEvents');
    expect(headers['content-type']).toBe('application/x-amz-json-1.1');
    const entries = body.Entries as PutEventsEntry[];
    expect(entries).toHaveLength(1);
    return entries[0] as PutEventsEntry;
  });
}

/** The parsed body of each SQS SendMessage; fails unless each is one to the DLQ. */
function deadLetters(): Array<Record<string, unknown>> {
  return sqs.requests.map(({ headers, body }) => {
    expect(headers['x-amz-target']).toBe('AmazonSQS.SendMessage');
    expect(headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(body.QueueUrl).toBe(DLQ_URL);
    return JSON.parse(String(body.MessageBody)) as Record<string, unknown>;
  });
}

// ---------------------------------------------------------------------------------------------
// The publisher, as the Lambda builds it
// ---------------------------------------------------------------------------------------------

function createPublisher(clock?: () => number) {
  const config = readConfig({ TABLE_NAME: 'items', AWS_REGION: REGION });
  const waits: number[] = [];
  const publisher = createEventBridgePublisher({
    eventBridge: createEventBridgeClient(config, CREDENTIALS),
    busName: BUS_NAME,
    source: 'dynamo',
    deadLetter: createSqsDeadLetterQueue(DLQ_URL, { region: REGION, credentials: CREDENTIALS }),
    retry: RETRY,
    logger: new Logger({ serviceName: 'dynamo-crud', logLevel: 'INFO' }),
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...(clock === undefined ? {} : { now: clock }),
  });
  return { publisher, waits };
}

/**
 * The JSON log lines written to stderr from now on (Powertools writes warnings and errors
 * there, one JSON object a line); they are kept out of the test output.
 */
function captureStderrLog(): () => Array<Record<string, unknown>> {
  const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return () =>
    write.mock.calls
      .flatMap(([chunk]) => String(chunk).split('\n'))
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function undeliveredLogLines(log: Array<Record<string, unknown>>) {
  return log.filter((line) => line.message === 'event not delivered to EventBridge');
}

/** Each backoff is a random time below its cap (full jitter), one per retry. */
function expectBackoffs(waits: readonly number[], retries: number): void {
  expect(waits).toHaveLength(retries);
  waits.forEach((ms, i) => {
    const cap = Math.min(RETRY.maxDelayMs, RETRY.baseDelayMs * 2 ** i);
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThan(cap);
  });
}

// ---------------------------------------------------------------------------------------------
// Events, as the core announces them
// ---------------------------------------------------------------------------------------------

const ada: Item = { user_id: 'ada', name: 'Ada', visits: 1 };

function detailOf(
  operation: WriteEventDetail['operation'],
  fields: Partial<WriteEventDetail> = {},
): WriteEventDetail {
  return {
    operation,
    message: 'success',
    user_id: 'ada',
    item: ada,
    version: 1,
    occurredAt: '2026-11-24T18:00:00.000Z',
    requestId: randomUUID(),
    ...fields,
  };
}

const created = detailOf('POST');
const updated = detailOf('PATCH', {
  item: { ...ada, name: 'Ada L.' },
  previous: ada,
  version: 2,
});
const deleted = detailOf('DELETE', { item: { ...ada, name: 'Ada L.' }, version: 2 });

/** The event as EventBridge hands it to rules, from the entry put on the wire. */
function envelopeOf(entry: PutEventsEntry) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': entry.DetailType,
    source: entry.Source,
    account: '123456789012',
    time: '2026-11-24T18:00:00Z',
    region: REGION,
    resources: [],
    detail: JSON.parse(entry.Detail) as unknown,
  };
}

// ---------------------------------------------------------------------------------------------

describe('EventBridge publisher', () => {
  describe('the PutEvents request', () => {
    it('puts one signed entry on the bus: source dynamo, dynamo_POST, the whole detail', async () => {
      // Prepare
      const { publisher, waits } = createPublisher();

      // Act
      await publisher.publish(created);

      // Assess
      expect(eventBridge.requests).toHaveLength(1);
      const [request] = eventBridge.requests;
      expect(request?.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEVENTSTEST\/\d{8}\/us-east-1\/events\/aws4_request, /,
      );
      expect(putEntries()).toEqual([
        {
          EventBusName: BUS_NAME,
          Source: 'dynamo',
          DetailType: 'dynamo_POST',
          Detail: expect.any(String),
        },
      ]);
      const detail = JSON.parse(putEntries()[0]?.Detail ?? '') as unknown;
      expect(detail).toEqual({
        operation: 'POST',
        message: 'success',
        user_id: 'ada',
        item: { user_id: 'ada', name: 'Ada', visits: 1 },
        version: 1,
        occurredAt: '2026-11-24T18:00:00.000Z',
        requestId: created.requestId,
      });
      expectValidSchema('ItemCreatedDetail', detail);
      expect(sqs.requests).toHaveLength(0);
      expect(waits).toEqual([]);
    });

    it.each([
      { event: created, detailType: 'dynamo_POST', schema: 'ItemCreatedDetail' },
      { event: updated, detailType: 'dynamo_PATCH', schema: 'ItemUpdatedDetail' },
      { event: deleted, detailType: 'dynamo_DELETE', schema: 'ItemDeletedDetail' },
    ])(
      'puts $detailType with a Detail valid against openapi.yaml $schema',
      async ({ event, detailType, schema }) => {
        // Prepare
        const { publisher } = createPublisher();

        // Act
        await publisher.publish(event);

        // Assess
        const entries = putEntries();
        expect(entries.map((e) => e.DetailType)).toEqual([detailType]);
        const detail = JSON.parse(entries[0]?.Detail ?? '') as unknown;
        expect(detail).toEqual(event);
        expectValidSchema(schema, detail);
        expectValidSchema('WriteEventDetail', detail);
      },
    );

    it('is matched by the seed rule pattern for POST, not for PATCH or DELETE', async () => {
      // Prepare
      const { publisher } = createPublisher();
      const pattern = postRulePatternFor('dynamo');

      // Act
      for (const event of [created, updated, deleted]) await publisher.publish(event);

      // Assess
      expect(pattern).toEqual({
        source: ['dynamo'],
        detail: { operation: ['POST'], message: ['success'] },
      });
      const envelopes = putEntries().map(envelopeOf);
      expect(envelopes.map((e) => [e['detail-type'], matchesPattern(pattern, e)])).toEqual([
        ['dynamo_POST', true],
        ['dynamo_PATCH', false],
        ['dynamo_DELETE', false],
      ]);
    });
  });

  describe('when EventBridge fails, the event reaches the bus or the DLQ exactly once', () => {
    it('puts again an entry that PutEvents answered 200 but reported failed', async () => {
      // Prepare
      const { publisher, waits } = createPublisher();
      eventBridge.answerWith(
        eventBridgeAnswers.entryFailed('ThrottlingException', 'Rate exceeded'),
        eventBridgeAnswers.accepted,
      );
      const readLog = captureStderrLog();

      // Act
      await publisher.publish(created);

      // Assess
      const entries = putEntries();
      expect(entries).toHaveLength(2);
      expect(entries[1]).toEqual(entries[0]);
      expect(JSON.parse(entries[1]?.Detail ?? '')).toEqual(created);
      expectBackoffs(waits, 1);
      expect(sqs.requests).toHaveLength(0);
      expect(undeliveredLogLines(readLog())).toEqual([]);
    });

    it.each([
      {
        failure: 'throttling (HTTP 400 ThrottlingException)',
        answer: eventBridgeAnswers.error(400, 'ThrottlingException', 'Rate exceeded'),
        reason: 'PutEvents failed: ThrottlingException (HTTP 400): Rate exceeded',
      },
      {
        failure: 'HTTP 500 InternalException',
        answer: eventBridgeAnswers.error(500, 'InternalException', 'Internal service error'),
        reason: 'PutEvents failed: InternalException (HTTP 500): Internal service error',
      },
      {
        failure: 'an entry failed with InternalFailure',
        answer: eventBridgeAnswers.entryFailed('InternalFailure', 'Internal failure'),
        reason: 'entry failed: InternalFailure (Internal failure)',
      },
      {
        failure: 'a network error',
        answer: eventBridgeAnswers.networkError,
        reason: 'PutEvents failed: TypeError: Network error',
      },
    ])(
      'retries $failure up to maxAttempts, then sends the event to the DLQ once',
      async ({ answer, reason }) => {
        // Prepare
        const { publisher, waits } = createPublisher();
        eventBridge.answerWith(answer);
        const readLog = captureStderrLog();

        // Act
        await publisher.publish(created);

        // Assess
        const entries = putEntries();
        expect(entries).toHaveLength(RETRY.maxAttempts);
        for (const entry of entries) expect(entry).toEqual(entries[0]);
        expectBackoffs(waits, RETRY.maxAttempts - 1);
        expect(deadLetters()).toEqual([
          {
            entry: entries[0],
            reason,
            attempts: RETRY.maxAttempts,
            failedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          },
        ]);
        expect(undeliveredLogLines(readLog())).toEqual([
          expect.objectContaining({
            level: 'ERROR',
            reason,
            attempts: RETRY.maxAttempts,
            deadLetter: 'sending',
            event: entries[0],
          }),
        ]);
      },
    );

    it.each([
      {
        failure: 'access denied (HTTP 400 AccessDeniedException)',
        answer: eventBridgeAnswers.error(400, 'AccessDeniedException', 'not authorized'),
        reason: 'PutEvents failed: AccessDeniedException (HTTP 400): not authorized',
      },
      {
        failure: 'a missing bus (HTTP 400 ResourceNotFoundException)',
        answer: eventBridgeAnswers.error(400, 'ResourceNotFoundException', 'no such bus'),
        reason: 'PutEvents failed: ResourceNotFoundException (HTTP 400): no such bus',
      },
      {
        failure: 'an entry failed with MalformedDetail',
        answer: eventBridgeAnswers.entryFailed('MalformedDetail', 'Detail is malformed.'),
        reason: 'entry failed: MalformedDetail (Detail is malformed.)',
      },
    ])('does not retry $failure: one PutEvents, then the DLQ once', async ({ answer, reason }) => {
      // Prepare
      const { publisher, waits } = createPublisher();
      eventBridge.answerWith(answer);
      const readLog = captureStderrLog();

      // Act
      await publisher.publish(created);

      // Assess
      const entries = putEntries();
      expect(entries).toHaveLength(1);
      expect(waits).toEqual([]);
      expect(deadLetters()).toEqual([
        { entry: entries[0], reason, attempts: 1, failedAt: expect.any(String) },
      ]);
      expect(undeliveredLogLines(readLog())).toEqual([
        expect.objectContaining({ level: 'ERROR', attempts: 1, event: entries[0] }),
      ]);
    });

    it('when the DLQ fails too, still resolves, and the error log has the whole event', async () => {
      // Prepare
      const { publisher } = createPublisher();
      eventBridge.answerWith(eventBridgeAnswers.error(500, 'InternalException', 'down'));
      sqs.answerWith(sqsAnswers.internalError);
      const readLog = captureStderrLog();

      // Act
      const published = publisher.publish(created);

      // Assess
      await expect(published).resolves.toBeUndefined();
      const entries = putEntries();
      expect(entries).toHaveLength(RETRY.maxAttempts);
      // The SQS client's own attempts, each the same message.
      const letters = deadLetters();
      expect(letters).toHaveLength(SQS_MAX_ATTEMPTS);
      for (const letter of letters) expect(letter).toEqual(letters[0]);
      expect(letters[0]).toMatchObject({ entry: entries[0], attempts: RETRY.maxAttempts });
      const log = readLog();
      const [line, ...others] = undeliveredLogLines(log);
      expect(others).toEqual([]);
      expect(line).toMatchObject({
        level: 'ERROR',
        reason: 'PutEvents failed: InternalException (HTTP 500): down',
        attempts: RETRY.maxAttempts,
        deadLetter: 'sending',
        event: entries[0],
      });
      // Then what became of it, after the event itself is on record.
      const failed = log.findIndex((l) => String(l.message).startsWith('dead-letter queue failed'));
      expect(failed).toBeGreaterThan(log.indexOf(line as Record<string, unknown>));
      expect(log[failed]).toMatchObject({
        level: 'ERROR',
        requestId: created.requestId,
        deadLetter: expect.stringMatching(/^dead-letter queue failed: .*HTTP 500/),
      });
      expect(JSON.parse((line?.event as PutEventsEntry | undefined)?.Detail ?? '')).toEqual(
        created,
      );
    });
  });

  describe("the invocation's deadline", () => {
    /** A clock that stands still unless an answer moves it. */
    function manualClock(start = 1_000_000) {
      let time = start;
      return {
        now: () => time,
        advance: (ms: number) => {
          time += ms;
        },
      };
    }

    it('retries no further than leaves time to dead-letter the event, and logs the whole event first', async () => {
      // Prepare: time for one attempt and the dead-letter queue; the attempt takes 1.5 s.
      const clock = manualClock();
      const { publisher, waits } = createPublisher(clock.now);
      const throttled = eventBridgeAnswers.error(400, 'ThrottlingException', 'Rate exceeded');
      eventBridge.answerWith((request) => {
        clock.advance(1_500);
        return throttled(request);
      });
      const deadline = clock.now() + EVENTBRIDGE_ATTEMPT_TIMEOUT_MS + DEAD_LETTER_BOUND_MS;
      const readLog = captureStderrLog();

      // Act
      await publisher.publish(created, { deadline });

      // Assess
      const entries = putEntries();
      expect(entries).toHaveLength(1);
      expect(waits).toEqual([]);
      const reason =
        'PutEvents failed: ThrottlingException (HTTP 400): Rate exceeded; not retried: the invocation ends too soon';
      expect(deadLetters()).toEqual([
        { entry: entries[0], reason, attempts: 1, failedAt: expect.any(String) },
      ]);
      expect(undeliveredLogLines(readLog())).toEqual([
        expect.objectContaining({ level: 'ERROR', reason, attempts: 1, event: entries[0] }),
      ]);
    });

    it('puts nothing when the deadline is too near for an attempt, and still records the event', async () => {
      // Prepare
      const clock = manualClock();
      const { publisher } = createPublisher(clock.now);
      const deadline = clock.now() + EVENTBRIDGE_ATTEMPT_TIMEOUT_MS + DEAD_LETTER_BOUND_MS - 1;
      const readLog = captureStderrLog();

      // Act
      await publisher.publish(created, { deadline });

      // Assess
      expect(eventBridge.requests).toEqual([]);
      const [letter, ...more] = deadLetters();
      expect(more).toEqual([]);
      expect(letter).toMatchObject({
        reason: 'not attempted: the invocation ends too soon',
        attempts: 0,
      });
      const [line] = undeliveredLogLines(readLog());
      expect(JSON.parse(String((line?.event as PutEventsEntry | undefined)?.Detail))).toEqual(
        created,
      );
    });

    it('without a deadline (npm start, tests), follows the whole retry plan', async () => {
      // Prepare
      const clock = manualClock();
      const { publisher, waits } = createPublisher(clock.now);
      eventBridge.answerWith((request) => {
        clock.advance(60_000);
        return eventBridgeAnswers.error(500, 'InternalException', 'down')(request);
      });
      captureStderrLog();

      // Act
      await publisher.publish(created, {});

      // Assess
      expect(putEntries()).toHaveLength(RETRY.maxAttempts);
      expectBackoffs(waits, RETRY.maxAttempts - 1);
    });
  });

  describe('what an entry carries', () => {
    const kilobytes = (n: number) => 'x'.repeat(n * 1024);

    it.each([
      {
        case: 'leaves out previous when item and previous pass 256 KB',
        item: { user_id: 'ada', notes: kilobytes(150) },
        previous: { user_id: 'ada', notes: kilobytes(140) },
        kept: ['item'],
      },
      {
        case: 'leaves out previous and item when item alone passes 256 KB',
        item: { user_id: 'ada', notes: kilobytes(300) },
        previous: { user_id: 'ada', notes: kilobytes(299) },
        kept: [],
      },
    ])('$case, says truncated, and fits', async ({ item, previous, kept }) => {
      // Prepare
      const { publisher } = createPublisher();
      const event = detailOf('PATCH', { item, previous, version: 2 });

      // Act
      await publisher.publish(event);

      // Assess
      const entries = putEntries();
      expect(entries).toHaveLength(1);
      const entry = entries[0] as PutEventsEntry;
      const size =
        Buffer.byteLength(entry.Detail) +
        Buffer.byteLength(entry.DetailType) +
        Buffer.byteLength(entry.Source);
      expect(size).toBeLessThanOrEqual(MAX_ENTRY_BYTES);
      const detail = JSON.parse(entry.Detail) as Record<string, unknown>;
      const { item: _item, previous: _previous, ...bare } = event;
      expect(detail).toEqual({
        ...bare,
        ...(kept.includes('item') ? { item } : {}),
        truncated: true,
      });
      expectValidSchema('ItemUpdatedDetail', detail);
      expect(sqs.requests).toHaveLength(0);
    });

    it('writes numbers beyond JS precision verbatim in Detail', async () => {
      // Prepare
      const { publisher } = createPublisher();
      // As the store reads numbers: in the API's one spelling (`canonicalNumber`).
      const item: Item = {
        user_id: 'ada',
        big: NumberValue.from('1.2345678901234567890123e+22'),
        precise: NumberValue.from('0.1000000000000000000000000000000001'),
        small: 7,
      };
      const event = detailOf('POST', { item });

      // Act
      await publisher.publish(event);

      // Assess
      const [entry, ...others] = putEntries();
      expect(others).toEqual([]);
      expect(entry?.Detail).toContain('"big":1.2345678901234567890123e+22,');
      expect(entry?.Detail).toContain('"precise":0.1000000000000000000000000000000001,');
      expect(stringifyJson(parseJson(entry?.Detail ?? ''))).toBe(stringifyJson(event));
    });
  });
});
