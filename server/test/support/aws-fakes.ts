/**
 * EventBridge and SQS have no local engine, so tests answer their HTTP APIs with fakes: each
 * keeps every request it is sent and answers from a script. One fake of each, reached two
 * ways: through msw inside the test process (`useAwsFakes`), or through a loopback HTTP server
 * for a function running in another process (`startAwsFakeServer`). The AWS SDK clients in
 * front of them (signing, serialisation, retries) are real.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll } from 'vitest';

/** A request to a fake, as the wire carried it. */
export interface AwsRequest {
  /** `X-Amz-Target`, e.g. `AWSEvents.PutEvents`. */
  readonly target: string | undefined;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Record<string, unknown>;
}

export type Answer = (request: AwsRequest) => Response;

export interface FakeService {
  /** Every request, in order. */
  readonly requests: AwsRequest[];
  /** Answer the next requests with `answers` in order, then the last one for good. */
  answerWith(...answers: Answer[]): void;
  /** Forgets the requests and the script. */
  reset(): void;
  handle(request: AwsRequest): Response;
}

export function fakeService(fallback: Answer): FakeService {
  const requests: AwsRequest[] = [];
  let script: Answer[] = [];
  return {
    requests,
    answerWith(...answers) {
      script = answers;
    },
    reset() {
      requests.length = 0;
      script = [];
    },
    handle(request) {
      requests.push(request);
      const answer = (script.length > 1 ? script.shift() : script[0]) ?? fallback;
      return answer(request);
    },
  };
}

const JSON_1_1 = { 'content-type': 'application/x-amz-json-1.1' };
const JSON_1_0 = { 'content-type': 'application/x-amz-json-1.0' };

/** The answers EventBridge gives. */
export const eventBridgeAnswers = {
  accepted: ({ body }: AwsRequest): Response =>
    HttpResponse.json(
      {
        FailedEntryCount: 0,
        Entries: ((body.Entries as unknown[] | undefined) ?? [{}]).map(() => ({
          EventId: randomUUID(),
        })),
      },
      { headers: JSON_1_1 },
    ),
  /** HTTP 200, and the entry not put: what `FailedEntryCount` is there for. */
  entryFailed:
    (code: string, message: string): Answer =>
    () =>
      HttpResponse.json(
        { FailedEntryCount: 1, Entries: [{ ErrorCode: code, ErrorMessage: message }] },
        { headers: JSON_1_1 },
      ),
  error:
    (status: number, type: string, message: string): Answer =>
    () =>
      HttpResponse.json(
        { __type: type, message },
        { status, headers: { ...JSON_1_1, 'x-amzn-errortype': type } },
      ),
  /** No HTTP answer at all (the connection failed). */
  networkError: (): Response => HttpResponse.error(),
};

/** The answers SQS gives (JSON protocol; the SDK checks the body's MD5). */
export const sqsAnswers = {
  sent: ({ body }: AwsRequest): Response =>
    HttpResponse.json(
      {
        MessageId: randomUUID(),
        MD5OfMessageBody: createHash('md5').update(String(body.MessageBody)).digest('hex'),
      },
      { headers: JSON_1_0 },
    ),
  internalError: (): Response =>
    HttpResponse.json(
      { __type: 'com.amazonaws.sqs#InternalError', message: 'We encountered an internal error.' },
      { status: 500, headers: { ...JSON_1_0, 'x-amzn-query-error': 'InternalError;Receiver' } },
    ),
};

export interface AwsFakes {
  readonly eventBridge: FakeService;
  readonly sqs: FakeService;
  /** The fake a request is for, by its `X-Amz-Target`. */
  handle(request: AwsRequest): Response;
  reset(): void;
}

export function createAwsFakes(): AwsFakes {
  const eventBridge = fakeService(eventBridgeAnswers.accepted);
  const sqs = fakeService(sqsAnswers.sent);
  return {
    eventBridge,
    sqs,
    handle: (request) =>
      request.target?.startsWith('AmazonSQS.') === true
        ? sqs.handle(request)
        : eventBridge.handle(request),
    reset() {
      eventBridge.reset();
      sqs.reset();
    },
  };
}

/** An entry of a `PutEvents` request, as the wire carried it. */
export interface PutEventsEntry {
  readonly EventBusName: string;
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
}

/** The `PutEvents` entries of every request the fake received, in order. */
export function putEventsEntries(fake: FakeService): PutEventsEntry[] {
  return fake.requests.flatMap((r) => (r.body.Entries as PutEventsEntry[] | undefined) ?? []);
}

/**
 * EventBridge and SQS of `region`, answered by fakes through msw for the file's tests;
 * forgotten after each test. Requests to anything else go out as usual (DynamoDB's engine).
 */
export function useAwsFakes(region = 'us-east-1'): AwsFakes {
  const fakes = createAwsFakes();
  const answer = async (fake: FakeService, request: Request) =>
    fake.handle({
      target: request.headers.get('x-amz-target') ?? undefined,
      headers: headersOf(request),
      body: (await request.json()) as Record<string, unknown>,
    });
  const network = setupServer(
    http.post(`https://events.${region}.amazonaws.com/`, ({ request }) =>
      answer(fakes.eventBridge, request),
    ),
    http.post(`https://sqs.${region}.amazonaws.com/`, ({ request }) => answer(fakes.sqs, request)),
  );
  beforeAll(() => network.listen({ onUnhandledRequest: 'bypass' }));
  afterEach(() => fakes.reset());
  afterAll(() => network.close());
  return fakes;
}

export interface AwsFakeServer {
  /** `http://127.0.0.1:PORT`: set it as `AWS_ENDPOINT_URL_EVENTBRIDGE` and `..._SQS`. */
  readonly url: string;
  close(): Promise<void>;
}

/** `fakes` on a loopback port, for a function in another process; the caller closes it. */
export async function startAwsFakeServer(fakes: AwsFakes): Promise<AwsFakeServer> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string') headers[name] = value;
      }
      const response = fakes.handle({
        target: headers['x-amz-target'],
        headers,
        body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
      });
      if (response.type === 'error') {
        // No answer at all, as `eventBridgeAnswers.networkError` means.
        req.socket.destroy();
        return;
      }
      void response.text().then((body) => {
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function headersOf(message: Request): Record<string, string> {
  const headers: Record<string, string> = {};
  message.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return headers;
}
