/**
 * Events as `npm start` gives them, end to end over loopback: the local server with the local
 * sink (JSON lines, and POSTs matching the deployed rule to `EVENTS_WEBHOOK_URL`), a webhook
 * receiver on 127.0.0.1, writes sent over HTTP. Then the real `npm start` process, and the
 * consumer example in `examples/event-consumer`, the same way.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { NodeHttpServer as LocalServer } from '../src/adapters/node-http.js';
import { createLocalPublisher, type EventEnvelope } from '../src/events/local-sink.js';
import { postRulePatternFor } from '../src/events/rule-pattern.js';
import { logger } from '../src/logger.js';
import { createDynamoDbStore } from '../src/store/dynamodb.js';
import { checked, expectValidSchema, type OperationId } from './support/conformance.js';
import { type TestTable, useTable } from './support/engine.js';
import { sendOnce } from './support/http-client.js';
import { captureOutput, LocalProcesses, REPO_ROOT } from './support/local-process.js';
import type { TestRequest } from './support/request.js';
import { Evaluator, loadModule } from './support/terraform.js';
import { createTestApp, startTestServer } from './support/transports.js';

/** How long to wait for another process's output to arrive. */
const OUTPUT_WAIT = { timeout: 10_000, interval: 20 };

// ---------------------------------------------------------------------------------------------
// A webhook receiver on loopback
// ---------------------------------------------------------------------------------------------

interface Delivery {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: string;
}

interface WebhookReceiver {
  /** e.g. `http://127.0.0.1:PORT/events` */
  readonly url: string;
  /** Every request it got, in order. */
  readonly deliveries: Delivery[];
  /** The events delivered so far, parsed. */
  events(): EventEnvelope[];
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (a free port), keeps every request, answers `status`. */
async function startWebhookReceiver(status = 204): Promise<WebhookReceiver> {
  const deliveries: Delivery[] = [];
  const server = createServer((req, res) => {
    readText(req).then(
      (body) => {
        deliveries.push({
          method: req.method ?? '',
          path: req.url ?? '',
          contentType: req.headers['content-type'],
          body,
        });
        res.writeHead(status).end();
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/events`,
    deliveries,
    events: () => deliveries.map((d) => JSON.parse(d.body) as EventEnvelope),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function readText(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

/** A loopback URL nothing listens on: a port that was free a moment ago. */
async function unreachableUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}/events`;
}

// ---------------------------------------------------------------------------------------------
// The local server with the local sink, in-process
// ---------------------------------------------------------------------------------------------

interface LocalApi {
  readonly url: string;
  /** The JSON lines the sink wrote (to stdout under `npm start`). */
  readonly lines: string[];
  events(): EventEnvelope[];
  close(): Promise<void>;
}

/** The local server, as `npm start` builds it, on `table`, with its sink posting to `webhookUrl`. */
async function startLocalApi(table: TestTable, webhookUrl: string | undefined): Promise<LocalApi> {
  const lines: string[] = [];
  const events = createLocalPublisher({
    source: 'dynamo',
    region: 'us-east-1',
    pattern: postRulePatternFor('dynamo'),
    webhookUrl,
    logger,
    write: (line) => lines.push(line),
  });
  const app = createTestApp(createDynamoDbStore(table.documentClient, table.tableName), {
    events,
  });
  const server: LocalServer = await startTestServer(app);
  return {
    url: server.url,
    lines,
    events: () => lines.map((line) => JSON.parse(line) as EventEnvelope),
    close: () => server.close(),
  };
}

/** Sends a request to the server at `baseUrl` and checks the answer against openapi.yaml. */
const send = (baseUrl: string, operationId: OperationId, request: TestRequest) =>
  checked(operationId, sendOnce(baseUrl, request));

const createItem = (baseUrl: string, item: Record<string, unknown>, clientRequestId?: string) =>
  send(baseUrl, 'createItem', {
    method: 'POST',
    json: item,
    ...(clientRequestId === undefined ? {} : { headers: { 'x-request-id': clientRequestId } }),
  });
const updateItem = (
  baseUrl: string,
  userId: string,
  key: string,
  value: unknown,
  ifMatch?: string,
) =>
  send(baseUrl, 'updateItem', {
    method: 'PATCH',
    json: { user_id: userId, updatedKey: key, updatedValue: value },
    ...(ifMatch === undefined ? {} : { headers: { 'if-match': ifMatch } }),
  });
const deleteItem = (baseUrl: string, userId: string, ifMatch?: string) =>
  send(baseUrl, 'deleteItem', {
    method: 'DELETE',
    query: { user_id: userId },
    ...(ifMatch === undefined ? {} : { headers: { 'if-match': ifMatch } }),
  });
const getItem = (baseUrl: string, userId: string) =>
  send(baseUrl, 'getItem', { method: 'GET', query: { user_id: userId } });

const newUserId = () => `user-${randomUUID()}`;

/** The JSON lines among `text`'s lines that are events. */
function eventLines(text: string): EventEnvelope[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as EventEnvelope);
}

// ---------------------------------------------------------------------------------------------

const table = useTable();

describe('local events (the local server with the local sink)', () => {
  describe('with a webhook listening', () => {
    let receiver: WebhookReceiver;
    let api: LocalApi;
    beforeAll(async () => {
      receiver = await startWebhookReceiver();
      api = await startLocalApi(table, receiver.url);
    });
    afterAll(async () => {
      await api?.close();
      await receiver?.close();
    });
    beforeEach(() => {
      receiver.deliveries.length = 0;
      api.lines.length = 0;
    });

    it('delivers a POST as one event, shaped as EventBridge delivers it', async () => {
      // Prepare
      const userId = newUserId();
      const item = { user_id: userId, name: 'Ada', visits: 1 };
      // A caller's own id is not the event's: two callers may send the same one.
      const clientRequestId = `req-${randomUUID()}`;

      // Act
      const created = await createItem(api.url, item, clientRequestId);

      // Assess
      expect(created.status).toBe(201);
      expect(receiver.deliveries).toEqual([
        {
          method: 'POST',
          path: '/events',
          contentType: 'application/json',
          body: expect.any(String),
        },
      ]);
      const [event] = receiver.events();
      expect(event).toEqual({
        version: '0',
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        'detail-type': 'dynamo_POST',
        source: 'dynamo',
        account: '000000000000',
        time: event?.detail.occurredAt,
        region: 'us-east-1',
        resources: [],
        detail: {
          operation: 'POST',
          message: 'success',
          user_id: userId,
          item,
          version: 1,
          etag: created.headers.etag,
          occurredAt: expect.any(String),
          requestId: expect.stringMatching(
            /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
          ),
        },
      });
      expect(event?.detail.item?.user_id).toBe(userId);
      expectValidSchema('ItemCreatedDetail', event?.detail);
      // The same event, as the same text, is the one JSON line written.
      expect(api.lines).toEqual([receiver.deliveries[0]?.body]);
    });

    it('writes PATCH and DELETE as JSON lines, PATCH with previous, and does not POST them', async () => {
      // Prepare
      const userId = newUserId();
      const item = { user_id: userId, name: 'Ada' };

      // Act
      const created = await createItem(api.url, item);
      const updated = await updateItem(api.url, userId, 'name', 'Ada L.', created.headers.etag);
      const deleted = await deleteItem(api.url, userId, updated.headers.etag);

      // Assess
      expect([updated.status, deleted.status]).toEqual([200, 200]);
      const events = api.events();
      expect(events.map((e) => [e['detail-type'], e.source])).toEqual([
        ['dynamo_POST', 'dynamo'],
        ['dynamo_PATCH', 'dynamo'],
        ['dynamo_DELETE', 'dynamo'],
      ]);
      const [, patch, del] = events;
      expect(patch?.detail).toMatchObject({
        operation: 'PATCH',
        user_id: userId,
        item: { user_id: userId, name: 'Ada L.' },
        previous: item,
        version: 2,
        etag: updated.headers.etag,
      });
      expect(del?.detail).toMatchObject({
        operation: 'DELETE',
        user_id: userId,
        item: { user_id: userId, name: 'Ada L.' },
        version: 2,
        etag: updated.headers.etag,
      });
      expect(del?.detail).not.toHaveProperty('previous');
      expectValidSchema('ItemUpdatedDetail', patch?.detail);
      expectValidSchema('ItemDeletedDetail', del?.detail);
      expect(receiver.events().map((e) => e['detail-type'])).toEqual(['dynamo_POST']);
    });

    describe('a write that fails publishes nothing', () => {
      let existing: string;
      beforeAll(async () => {
        existing = newUserId();
        await createItem(api.url, { user_id: existing, name: 'Ada' });
      });

      it.each([
        {
          write: 'POST of an existing user_id',
          status: 409,
          act: (url: string) => createItem(url, { user_id: existing, name: 'Again' }),
        },
        {
          write: 'PATCH of a missing item',
          status: 404,
          act: (url: string) => updateItem(url, newUserId(), 'name', 'Nobody'),
        },
        {
          write: 'DELETE of a missing item',
          status: 404,
          act: (url: string) => deleteItem(url, newUserId()),
        },
        {
          write: 'PATCH with a stale If-Match',
          status: 412,
          act: (url: string) => updateItem(url, existing, 'name', 'Stale', '"7"'),
        },
        {
          write: 'DELETE with a stale If-Match',
          status: 412,
          act: (url: string) => deleteItem(url, existing, '"7"'),
        },
        {
          write: 'POST without user_id',
          status: 400,
          act: (url: string) => createItem(url, { name: 'Anonymous' }),
        },
        {
          write: 'PATCH of user_id',
          status: 400,
          act: (url: string) => updateItem(url, existing, 'user_id', 'someone-else'),
        },
      ])('$write ($status)', async ({ status, act }) => {
        // Act
        const response = await act(api.url);

        // Assess
        expect(response.status).toBe(status);
        expect(api.lines).toEqual([]);
        expect(receiver.deliveries).toEqual([]);
        expect((await getItem(api.url, existing)).json).toEqual({ user_id: existing, name: 'Ada' });
      });
    });
  });

  describe('a webhook that fails does not fail the write', () => {
    const stop: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const close of stop.splice(0).reverse()) await close();
    });

    it('answers 201 when the webhook answers 500, and posts the event once', async () => {
      // Prepare
      const receiver = await startWebhookReceiver(500);
      stop.push(() => receiver.close());
      const api = await startLocalApi(table, receiver.url);
      stop.push(() => api.close());
      const userId = newUserId();

      // Act
      const created = await createItem(api.url, { user_id: userId });

      // Assess
      expect(created.status).toBe(201);
      expect((await getItem(api.url, userId)).status).toBe(200);
      expect(receiver.events().map((e) => [e['detail-type'], e.detail.user_id])).toEqual([
        ['dynamo_POST', userId],
      ]);
      expect(api.events().map((e) => e.detail.user_id)).toEqual([userId]);
    });

    it('answers 201 when nothing listens at the webhook URL', async () => {
      // Prepare
      const api = await startLocalApi(table, await unreachableUrl());
      stop.push(() => api.close());
      const userId = newUserId();

      // Act
      const created = await createItem(api.url, { user_id: userId });

      // Assess
      expect(created.status).toBe(201);
      expect((await getItem(api.url, userId)).status).toBe(200);
      expect(api.events().map((e) => [e['detail-type'], e.detail.user_id])).toEqual([
        ['dynamo_POST', userId],
      ]);
    });
  });
});

describe('npm start with EVENTS_WEBHOOK_URL', { timeout: 90_000 }, () => {
  const processes = new LocalProcesses();
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
  });
  afterEach(() => processes.cleanup());
  afterAll(() => receiver?.close());

  it('POSTs the event of a POST to the webhook and prints it as a JSON line', async () => {
    // Prepare
    const server = processes.start({ DATA_DIR: ':memory:', EVENTS_WEBHOOK_URL: receiver.url });
    const url = await server.listening();
    const userId = newUserId();

    // Act
    const created = await createItem(url, { user_id: userId, name: 'Ada' });

    // Assess
    expect(created.status).toBe(201);
    const [event, ...others] = receiver.events();
    expect(others).toEqual([]);
    expect(event).toMatchObject({
      source: 'dynamo',
      'detail-type': 'dynamo_POST',
      detail: { operation: 'POST', user_id: userId, item: { user_id: userId, name: 'Ada' } },
    });
    await vi.waitFor(() => expect(eventLines(server.stdout())).toEqual([event]), OUTPUT_WAIT);
    expect(await server.stop()).toEqual({ code: 0, signal: null });
  });
});

describe('examples/event-consumer', { timeout: 60_000 }, () => {
  let consumer: Consumer;
  let api: LocalApi;
  const postsOf = (userId: string) =>
    consumer.printed().filter((e) => e.detail.user_id === userId && e.detail.operation === 'POST');
  beforeAll(async () => {
    consumer = await startConsumer();
    api = await startLocalApi(table, consumer.url);
  });
  afterAll(async () => {
    await api?.close();
    await consumer?.stop();
  });

  it('receives and prints the event of a POST, numbers exact, and not the PATCH', async () => {
    // Prepare
    const userId = newUserId();
    const body = `{"user_id":${JSON.stringify(userId)},"name":"Ada","big":12345678901234567890123}`;
    const printedBefore = consumer.printed().length;
    const stderrBefore = consumer.stderr();

    // Act
    const created = await send(api.url, 'createItem', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    await updateItem(api.url, userId, 'name', 'Ada L.');

    // Assess
    expect(created.status).toBe(201);
    await vi.waitFor(() => expect(consumer.printed()).toHaveLength(printedBefore + 1), OUTPUT_WAIT);
    const event = consumer.printed().at(-1);
    expect(event).toMatchObject({
      source: 'dynamo',
      'detail-type': 'dynamo_POST',
      detail: { operation: 'POST', message: 'success', user_id: userId, version: 1 },
    });
    expect(consumer.stdout()).toMatch(/"big":1\.2345678901234567890123e\+22[,}]/);
    const written = api.events().filter((e) => e.detail.user_id === userId);
    expect(written.map((e) => e['detail-type'])).toEqual(['dynamo_POST', 'dynamo_PATCH']);
    expect(consumer.stderr()).toBe(stderrBefore);
  });

  it('prints the POST of an item deleted and created again: a new event, at version 1 again', async () => {
    // Prepare
    const userId = newUserId();
    await createItem(api.url, { user_id: userId, owner: 'alice' });
    await vi.waitFor(() => expect(postsOf(userId)).toHaveLength(1), OUTPUT_WAIT);
    await deleteItem(api.url, userId);

    // Act
    const created = await createItem(api.url, { user_id: userId, owner: 'bob' });

    // Assess: de-duplicated by ETag, not by version, which is 1 both times.
    await vi.waitFor(() => expect(postsOf(userId)).toHaveLength(2), OUTPUT_WAIT);
    const [alices, bobs] = postsOf(userId);
    expect([alices?.detail.version, bobs?.detail.version]).toEqual([1, 1]);
    expect(bobs?.detail).toMatchObject({ item: { owner: 'bob' }, etag: created.headers.etag });
    expect(bobs?.detail.etag).not.toBe(alices?.detail.etag);
  });

  it('prints an event delivered twice once', async () => {
    // Prepare
    const event = api.events().find((e) => e['detail-type'] === 'dynamo_POST') as EventEnvelope;
    const userId = newUserId();
    const after = {
      ...event,
      detail: { ...event.detail, user_id: userId, item: { user_id: userId } },
    };
    const deliver = (body: unknown) =>
      fetch(consumer.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const printedBefore = consumer.printed().length;

    // Act: the same event again, as a retried delivery sends it; then another one.
    const again = await deliver(event);
    const next = await deliver(after);

    // Assess: the other one printed (output is in order), the repeat not.
    expect([again.status, next.status]).toEqual([204, 204]);
    await vi.waitFor(() => expect(postsOf(userId)).toHaveLength(1), OUTPUT_WAIT);
    expect(consumer.printed().slice(printedBefore)).toEqual([after]);
  });

  it('takes what a deployed API destination sends, the same event (WriteEvent) as npm start', async () => {
    // Prepare: Terraform's target reshapes nothing, so on AWS the webhook body is the event as
    // EventBridge has it: this one, with a real account and region.
    const module = await loadModule();
    const target = (
      await new Evaluator(module, {
        variables: {
          event_destinations: { hook: { endpoint: 'https://hooks.example.com/items' } },
          event_destination_api_keys: { hook: 'secret' },
        },
      }).instances('aws_cloudwatch_event_target.post_to_destination')
    )[0]?.body;
    expect(target?.input_transformer).toBeUndefined();
    const local = api.events().find((e) => e['detail-type'] === 'dynamo_POST');
    expect(local, 'an event npm start delivered').toBeDefined();
    const userId = newUserId();
    const deployed = {
      ...local,
      id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
      account: '123456789012',
      region: 'eu-west-1',
      time: '2026-11-24T18:00:00Z',
      detail: { ...local?.detail, user_id: userId, item: { user_id: userId, name: 'Ada' } },
    };
    const printedBefore = consumer.printed().length;

    // Act
    const response = await fetch(consumer.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(deployed),
    });

    // Assess
    expectValidSchema('WriteEvent', local);
    expectValidSchema('WriteEvent', deployed);
    expect(response.status).toBe(204);
    await vi.waitFor(() => expect(consumer.printed()).toHaveLength(printedBefore + 1), OUTPUT_WAIT);
    expect(consumer.printed().at(-1)).toEqual(deployed);
  });

  it('refuses what is not a dynamo-crud event, saying why', async () => {
    // Prepare
    const printedBefore = consumer.printed();

    // Act
    const response = await fetch(consumer.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'dynamo', 'detail-type': 'dynamo_POST', detail: {} }),
    });

    // Assess
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/detail\.operation/);
    await vi.waitFor(
      () => expect(consumer.stderr()).toMatch(/refused an event: detail\.operation/),
      OUTPUT_WAIT,
    );
    expect(consumer.printed()).toEqual(printedBefore);
  });
});

interface Consumer {
  readonly url: string;
  /** The events it printed on stdout. */
  printed(): EventEnvelope[];
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
}

/** Runs `node examples/event-consumer/server.mjs` on a free loopback port, as its README says. */
async function startConsumer(): Promise<Consumer> {
  const child: ChildProcess = spawn(process.execPath, ['examples/event-consumer/server.mjs'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const captured = captureOutput(child);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    const url = await vi.waitFor(() => {
      const listening = /event-consumer listening on (http:\/\/127\.0\.0\.1:\d+\/events)/.exec(
        captured.stdout,
      );
      expect(listening, `the consumer's listening line${captured.stderr}`).not.toBeNull();
      return listening?.[1] ?? '';
    }, OUTPUT_WAIT);
    return {
      url,
      printed: () => eventLines(captured.stdout),
      stdout: () => captured.stdout,
      stderr: () => captured.stderr,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
