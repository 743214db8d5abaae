/**
 * The one check every variant passes before the bench measures it, so that none is measured
 * doing less than the function: the four operations and their errors, in order, on a real
 * engine (dynalite) with EventBridge answered by the tests' fake. Each answer must be one the
 * contract allows (the contract checker the tests use), with the status and body expected, a
 * problem+json body whose `instance` is the request's id and whose `errors` name the bad
 * field; each write must put exactly one event of the contract's shape, and a refused write
 * none; what the table holds after each step is read back (conditional writes: POST never
 * overwrites, PATCH and DELETE never create, `If-Match` is honoured).
 */
import { isDeepStrictEqual } from 'node:util';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { createConformance } from '@dynamo-crud/contract-tests';
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { FieldError, Problem } from '../../server/src/core/problems.js';
import { parseOpenApi } from '../../server/src/openapi.js';
import {
  type FakeService,
  type PutEventsEntry,
  putEventsEntries,
} from '../../server/test/support/aws-fakes.js';
import type { SeenResponse, TestRequest } from '../../server/test/support/request.js';
import type { Invocation } from './handler-worker.js';
import type { PeerOperationId } from './shared.js';

export interface ConformanceSetup {
  /** Sends one request to the variant's handler. */
  readonly invoke: (request: TestRequest) => Promise<Invocation>;
  /** Reads the table, as the bench sees it. */
  readonly db: DynamoDBDocumentClient;
  readonly tableName: string;
  /** The fake EventBridge the variant's `PutEvents` reach. */
  readonly eventBridge: FakeService;
  readonly busName: string;
  /** Makes the items of this check unique to it. */
  readonly prefix: string;
  /** The largest body the variant accepts (`MAX_BODY_BYTES`). */
  readonly maxBodyBytes: number;
}

type WriteOperation = 'POST' | 'PATCH' | 'DELETE';

interface Step {
  readonly title: string;
  /** The operation it is a request for; `undefined` for one no operation serves. */
  readonly operationId: PeerOperationId | undefined;
  readonly request: TestRequest;
  readonly status: number | readonly number[];
  /** The body a success must have, exactly. */
  readonly body?: unknown;
  readonly etag?: string;
  /** The field a 400 must name, as the contract's `FieldError` does. */
  readonly names?: Pick<FieldError, 'pointer' | 'parameter' | 'header'>;
  /** The one event the write must put; no event at all when absent. */
  readonly event?: WriteOperation;
  /** What the table holds afterwards for `user_id` (attributes it must have; `null`: none). */
  readonly stored?: { readonly userId: string; readonly has: Record<string, unknown> | null };
}

const EVENT_SCHEMA: Readonly<Record<WriteOperation, string>> = {
  POST: 'ItemCreatedDetail',
  PATCH: 'ItemUpdatedDetail',
  DELETE: 'ItemDeletedDetail',
};

function steps(prefix: string, maxBodyBytes: number): Step[] {
  const a = `${prefix}-a`;
  const missing = `${prefix}-missing`;
  const item = { user_id: a, name: 'Ada', visits: 1, tags: ['x', 'y'] };
  const patch = (updatedValue: unknown) => ({ user_id: a, updatedKey: 'visits', updatedValue });
  const post = (json: unknown): TestRequest => ({ method: 'POST', json });
  return [
    {
      title: 'POST creates the item',
      operationId: 'createItem',
      request: post(item),
      status: 201,
      body: item,
      etag: '"1"',
      event: 'POST',
      stored: { userId: a, has: { ...item, '@version': 1 } },
    },
    {
      title: 'POST never overwrites',
      operationId: 'createItem',
      request: post({ ...item, name: 'Grace' }),
      status: 409,
      stored: { userId: a, has: { name: 'Ada' } },
    },
    {
      title: 'POST: user_id is required',
      operationId: 'createItem',
      request: post({ name: 'Ada' }),
      status: 400,
      names: { pointer: '/user_id' },
    },
    {
      title: 'POST: user_id is a string',
      operationId: 'createItem',
      request: post({ user_id: 42 }),
      status: 400,
      names: { pointer: '/user_id' },
      stored: { userId: '42', has: null },
    },
    {
      title: 'POST: user_id has at most 512 characters',
      operationId: 'createItem',
      request: post({ user_id: 'u'.repeat(513) }),
      status: 400,
      names: { pointer: '/user_id' },
    },
    {
      title: 'POST: names starting with @ are reserved',
      operationId: 'createItem',
      request: post({ user_id: `${prefix}-reserved`, '@version': 7 }),
      status: 400,
      names: { pointer: '/@version' },
      stored: { userId: `${prefix}-reserved`, has: null },
    },
    {
      title: 'POST: a body that is not JSON',
      operationId: 'createItem',
      request: {
        method: 'POST',
        body: '{"user_id":',
        headers: { 'content-type': 'application/json' },
      },
      status: 400,
    },
    {
      title: 'POST: a body that is not application/json',
      operationId: 'createItem',
      request: {
        method: 'POST',
        body: JSON.stringify({ user_id: `${prefix}-text` }),
        headers: { 'content-type': 'text/plain' },
      },
      status: 415,
      stored: { userId: `${prefix}-text`, has: null },
    },
    {
      title: 'POST: a body over the limit',
      operationId: 'createItem',
      request: post({ user_id: `${prefix}-large`, blob: 'x'.repeat(maxBodyBytes) }),
      status: 413,
      stored: { userId: `${prefix}-large`, has: null },
    },
    {
      title: 'GET reads the item',
      operationId: 'getItem',
      request: { method: 'GET', query: { user_id: a } },
      status: 200,
      body: item,
      etag: '"1"',
    },
    {
      title: 'GET: no such item',
      operationId: 'getItem',
      request: { method: 'GET', query: { user_id: missing } },
      status: 404,
    },
    {
      title: 'GET: user_id is required',
      operationId: 'getItem',
      request: { method: 'GET' },
      status: 400,
      names: { parameter: 'user_id' },
    },
    {
      title: 'GET: user_id has at most 512 characters',
      operationId: 'getItem',
      request: { method: 'GET', query: { user_id: 'u'.repeat(513) } },
      status: 400,
      names: { parameter: 'user_id' },
    },
    {
      title: 'PATCH sets the attribute',
      operationId: 'updateItem',
      request: { method: 'PATCH', json: patch(2) },
      status: 200,
      body: { ...item, visits: 2 },
      etag: '"2"',
      event: 'PATCH',
      stored: { userId: a, has: { visits: 2, '@version': 2 } },
    },
    {
      title: 'PATCH with a stale If-Match',
      operationId: 'updateItem',
      request: { method: 'PATCH', json: patch(3), headers: { 'if-match': '"1"' } },
      status: 412,
      stored: { userId: a, has: { visits: 2, '@version': 2 } },
    },
    {
      title: 'PATCH with the current If-Match',
      operationId: 'updateItem',
      request: { method: 'PATCH', json: patch(3), headers: { 'if-match': CURRENT_ETAG } },
      status: 200,
      body: { ...item, visits: 3 },
      etag: '"3"',
      event: 'PATCH',
      stored: { userId: a, has: { visits: 3, '@version': 3 } },
    },
    {
      title: 'PATCH never creates',
      operationId: 'updateItem',
      request: { method: 'PATCH', json: { ...patch(1), user_id: missing } },
      status: 404,
      stored: { userId: missing, has: null },
    },
    {
      title: 'PATCH: the key never changes',
      operationId: 'updateItem',
      request: { method: 'PATCH', json: { ...patch('b'), updatedKey: 'user_id' } },
      status: 400,
      names: { pointer: '/updatedKey' },
    },
    {
      title: 'PATCH: names starting with @ are reserved',
      operationId: 'updateItem',
      request: { method: 'PATCH', json: { ...patch(9), updatedKey: '@version' } },
      status: 400,
      names: { pointer: '/updatedKey' },
      stored: { userId: a, has: { '@version': 3 } },
    },
    {
      title: 'PATCH: no other fields',
      operationId: 'updateItem',
      request: { method: 'PATCH', json: { ...patch(4), extra: true } },
      status: 400,
      names: { pointer: '/extra' },
    },
    {
      title: 'PATCH: updatedValue is required',
      operationId: 'updateItem',
      request: { method: 'PATCH', json: { user_id: a, updatedKey: 'visits' } },
      status: 400,
      names: { pointer: '/updatedValue' },
    },
    {
      title: 'DELETE with a stale If-Match',
      operationId: 'deleteItem',
      request: { method: 'DELETE', query: { user_id: a }, headers: { 'if-match': '"1"' } },
      status: 412,
      stored: { userId: a, has: { '@version': 3 } },
    },
    {
      title: 'DELETE deletes the item',
      operationId: 'deleteItem',
      request: { method: 'DELETE', query: { user_id: a } },
      status: 200,
      body: { ...item, visits: 3 },
      event: 'DELETE',
      stored: { userId: a, has: null },
    },
    {
      title: 'DELETE: no such item',
      operationId: 'deleteItem',
      request: { method: 'DELETE', query: { user_id: a } },
      status: 404,
    },
    {
      title: 'DELETE: user_id is required',
      operationId: 'deleteItem',
      request: { method: 'DELETE' },
      status: 400,
      names: { parameter: 'user_id' },
    },
    {
      title: 'a path nothing is served at',
      operationId: undefined,
      request: { method: 'GET', path: '/elsewhere', query: { user_id: a } },
      status: 404,
    },
    {
      title: 'a method the path does not take',
      operationId: undefined,
      request: { method: 'PUT', json: item },
      status: [404, 405],
    },
  ];
}

const contract = createConformance(parseOpenApi());

/** Stands for the ETag the last answer carried: each item's tags hold a token of its own. */
const CURRENT_ETAG = 'the current ETag';

/** The version an ETag names: `"3"` and `"3.Hm7kQx0pZr1c"` are both version 3. */
const versionOf = (etag: string | undefined) => /^"(\d+)(?:\.[\w-]+)?"$/.exec(etag ?? '')?.[1];

/**
 * Runs every step against one variant, in order.
 * @returns what it got wrong, one line per failure; empty when it conforms
 */
export async function checkConformance(setup: ConformanceSetup): Promise<string[]> {
  const failures: string[] = [];
  let currentEtag = '';
  for (const step of steps(setup.prefix, setup.maxBodyBytes)) {
    const eventsBefore = putEventsEntries(setup.eventBridge).length;
    const wrong = (what: string) => {
      failures.push(`${step.title}: ${what}`);
    };
    let invocation: Invocation;
    try {
      const headers = step.request.headers as Readonly<Record<string, string>> | undefined;
      invocation = await setup.invoke(
        headers?.['if-match'] === CURRENT_ETAG
          ? { ...step.request, headers: { ...headers, 'if-match': currentEtag } }
          : step.request,
      );
    } catch (error) {
      wrong(`the handler threw instead of answering: ${String(error).split('\n')[0]}`);
      continue;
    }
    const { requestId, result } = invocation;
    const seen = seenResponse(result);

    const statuses = typeof step.status === 'number' ? [step.status] : step.status;
    if (!statuses.includes(seen.status)) {
      wrong(`status ${seen.status}, expected ${statuses.join(' or ')}: ${seen.body.slice(0, 200)}`);
      continue;
    }
    for (const violation of contract.checkResponse(step.operationId, seen)) wrong(violation);
    const body = parse(seen.body);
    // Compared as JSON values, whatever the order of their members: the function answers in
    // its canonical order (`user_id` first), each peer in its framework's.
    if (step.body !== undefined && !isDeepStrictEqual(body, step.body)) {
      wrong(`body ${seen.body.slice(0, 200)}, expected ${JSON.stringify(step.body)}`);
    }
    if (step.etag !== undefined && versionOf(seen.headers.etag) !== versionOf(step.etag)) {
      wrong(`ETag ${seen.headers.etag}, expected version ${versionOf(step.etag)}`);
    }
    if (seen.headers.etag !== undefined) currentEtag = seen.headers.etag;
    if (seen.status >= 400) problemFaults(body, requestId, step).forEach(wrong);

    const events = putEventsEntries(setup.eventBridge).slice(eventsBefore);
    const expectedEvents = step.event === undefined ? 0 : 1;
    if (events.length !== expectedEvents) {
      wrong(`${events.length} events put, expected ${expectedEvents}`);
    } else if (step.event !== undefined) {
      eventFaults(events[0] as PutEventsEntry, step.event, requestId, setup.busName).forEach(wrong);
    }

    if (step.stored !== undefined) {
      const { Item } = await setup.db.send(
        new GetCommand({
          TableName: setup.tableName,
          Key: { user_id: step.stored.userId },
          ConsistentRead: true,
        }),
      );
      const expected = step.stored.has;
      if (expected === null ? Item !== undefined : !contains(Item, expected)) {
        wrong(`the table holds ${JSON.stringify(Item)}, expected ${JSON.stringify(expected)}`);
      }
    }
  }
  return failures;
}

/** The answer as the wire carries it: lower-case header names, single or multi-value maps. */
function seenResponse(result: APIGatewayProxyResult): SeenResponse {
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    headers[name.toLowerCase()] = values.map(String).join(', ');
  }
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    headers[name.toLowerCase()] = String(value);
  }
  return { status: result.statusCode, headers, body: result.body };
}

function parse(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return text;
  }
}

function problemFaults(body: unknown, requestId: string, step: Step): string[] {
  const problem = body as Partial<Problem> | undefined;
  const faults: string[] = [];
  if (problem?.instance !== requestId) {
    faults.push(`problem instance ${problem?.instance}, expected the request id ${requestId}`);
  }
  const names = step.names;
  if (
    names !== undefined &&
    !(problem?.errors ?? []).some((e) =>
      Object.entries(names).every(([key, value]) => e[key as keyof FieldError] === value),
    )
  ) {
    faults.push(`errors ${JSON.stringify(problem?.errors)} do not name ${JSON.stringify(names)}`);
  }
  return faults;
}

function eventFaults(
  entry: PutEventsEntry,
  operation: WriteOperation,
  requestId: string,
  busName: string,
): string[] {
  const faults: string[] = [];
  if (entry.EventBusName !== busName) faults.push(`event bus ${entry.EventBusName}`);
  if (entry.Source !== 'dynamo') faults.push(`event source ${entry.Source}`);
  if (entry.DetailType !== `dynamo_${operation}`) faults.push(`detail-type ${entry.DetailType}`);
  const detail = parse(entry.Detail) as Record<string, unknown>;
  faults.push(...contract.checkSchema(EVENT_SCHEMA[operation], detail).map((v) => `event ${v}`));
  if (detail.requestId !== requestId) {
    faults.push(`event requestId ${detail.requestId}, expected ${requestId}`);
  }
  return faults;
}

function contains(item: Record<string, unknown> | undefined, has: Record<string, unknown>) {
  return item !== undefined && Object.entries(has).every(([k, v]) => isDeepStrictEqual(item[k], v));
}
