/**
 * The invocation's deadline reaches publishing: the Lambda adapter reads it from the context
 * (`getRemainingTimeInMillis`), the core hands it to the publisher with each write's event, and
 * the local server, which nothing stops, hands none. What the publisher does with it is in
 * events-eventbridge.test.ts; that the default timeout covers every retry budget is in
 * terraform.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createLambdaHandler } from '../src/adapters/lambda.js';
import { createMemoryStore } from '../src/store/memory.js';
import { httpApiEvent, lambdaContext, restApiEvent } from './support/lambda-events.js';
import { createRecordingPublisher } from './support/recorder.js';
import { createTestApp, quietLogger, sendToCore } from './support/transports.js';

const create = (userId: string) => ({ method: 'POST', json: { user_id: userId, name: 'Ada' } });

describe.each([
  { name: 'REST API (v1)', event: restApiEvent },
  { name: 'HTTP API (v2)', event: httpApiEvent },
])('through $name events', ({ event }) => {
  it("hands each write's event the invocation's deadline", async () => {
    // Prepare
    const events = createRecordingPublisher();
    const handler = createLambdaHandler(
      createTestApp(createMemoryStore(), { events }),
      quietLogger,
    );
    const remainingMs = 7_000;

    // Act
    const before = Date.now();
    const result = await handler(event(create('ada')), lambdaContext(remainingMs));
    const after = Date.now();

    // Assess
    expect(result.statusCode).toBe(201);
    expect(events.published).toHaveLength(1);
    const deadline = events.options[0]?.deadline;
    expect(deadline).toBeGreaterThanOrEqual(before + remainingMs - 50);
    expect(deadline).toBeLessThanOrEqual(after + remainingMs);
  });
});

it('hands no deadline when nothing stops the request (the local server)', async () => {
  // Prepare
  const events = createRecordingPublisher();
  const app = createTestApp(createMemoryStore(), { events });

  // Act
  const seen = await sendToCore(app, create('grace'));

  // Assess
  expect(seen.status).toBe(201);
  expect(events.options).toEqual([{ deadline: undefined }]);
});
