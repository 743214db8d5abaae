/**
 * The bench's client process: every request the warm measures send comes from here, so the
 * bench process itself only runs the DynamoDB engine. It answers commands from the bench over
 * IPC. Two ways to do the same operations:
 *
 * - `http-*`: through the local HTTP server (`npm start`'s code, in its own process);
 * - `direct-*`: straight to the engine with the DynamoDB document client, issuing the same
 *   `GetItem` / conditional `PutItem` / `UpdateItem` calls the store makes. The floor;
 * - `hop`: the same HTTP requests to a `node:http` server that answers at once, in its own
 *   process: what putting any HTTP server in front of the SDK costs before it does anything.
 *
 * Run with `node --import tsx`; started by `bench/run.ts`.
 */
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import autocannon from 'autocannon';
import { createDynamoDbClient } from '../server/src/aws/clients.js';
import { readConfig } from '../server/src/config.js';
import { newIncarnation } from '../server/src/core/ports.js';
import { LOCAL_CREDENTIALS } from '../server/src/local/dynalite.js';
import {
  createDocumentClient,
  INCARNATION_ATTRIBUTE,
  VERSION_ATTRIBUTE,
} from '../server/src/store/dynamodb.js';
import { serveCommands } from './ipc.js';
import { callsPerSecond, now } from './stats.js';

export type Operation = 'GET' | 'POST' | 'PATCH';

export type Command =
  | {
      readonly kind: 'latency';
      readonly via: 'http' | 'direct' | 'hop';
      readonly op: Operation;
      readonly count: number;
    }
  | {
      readonly kind: 'throughput';
      readonly via: 'http' | 'direct';
      readonly durationMs: number;
      readonly amount?: number;
      readonly inFlight: number;
    }
  | { readonly kind: 'sdk'; readonly count: number };

export interface Setup {
  readonly endpoint: string;
  readonly tableName: string;
  readonly serverUrl: string;
  /** A server that answers every request at once with a small item. */
  readonly hopUrl: string;
  /** Items that exist, read by GET and changed by PATCH. */
  readonly userIds: readonly string[];
  /** Makes the ids POST creates unique to this process. */
  readonly prefix: string;
}

const setup = JSON.parse(process.argv[2] ?? '{}') as Setup;
const db = createDocumentClient(
  createDynamoDbClient(
    readConfig({
      TABLE_NAME: setup.tableName,
      AWS_REGION: 'us-east-1',
      DYNAMODB_ENDPOINT: setup.endpoint,
    }),
    LOCAL_CREDENTIALS,
  ),
);
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
let created = 0;
const pick = (i: number) => setup.userIds[i % setup.userIds.length] as string;
const newItem = () => ({ user_id: `${setup.prefix}-${++created}`, name: 'Ada', visits: 1 });

/** One request to `base`; rejects unless it gets the expected status. */
function http(
  base: URL,
  method: string,
  path: string,
  body: unknown,
  expected: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method,
        path,
        headers: text === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.once('end', () =>
          res.statusCode === expected
            ? resolve()
            : reject(new Error(`${method} ${path}: ${res.statusCode}, expected ${expected}`)),
        );
      },
    );
    req.once('error', reject);
    req.end(text);
  });
}

const viaHttpTo = (
  base: URL,
  created: number,
): Record<Operation, (i: number) => Promise<unknown>> => ({
  GET: (i) => http(base, 'GET', `/dynamo?user_id=${encodeURIComponent(pick(i))}`, undefined, 200),
  POST: () => http(base, 'POST', '/dynamo', newItem(), created),
  PATCH: (i) =>
    http(
      base,
      'PATCH',
      '/dynamo',
      { user_id: pick(i), updatedKey: 'visits', updatedValue: i },
      200,
    ),
});
const viaHttp = viaHttpTo(new URL(setup.serverUrl), 201);
const viaHop = viaHttpTo(new URL(setup.hopUrl), 200);

/** The same DynamoDB calls as `server/src/store/dynamodb.ts` makes for each operation. */
const direct: Record<Operation, (i: number) => Promise<unknown>> = {
  GET: (i) =>
    db.send(
      new GetCommand({
        TableName: setup.tableName,
        Key: { user_id: pick(i) },
        ConsistentRead: true,
      }),
    ),
  POST: () =>
    db.send(
      new PutCommand({
        TableName: setup.tableName,
        Item: { ...newItem(), [VERSION_ATTRIBUTE]: 1, [INCARNATION_ATTRIBUTE]: newIncarnation() },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'user_id' },
      }),
    ),
  PATCH: (i) =>
    db.send(
      new UpdateCommand({
        TableName: setup.tableName,
        Key: { user_id: pick(i) },
        UpdateExpression:
          'SET #attr = :value, #version = if_not_exists(#version, :zero) + :one, #incarnation = if_not_exists(#incarnation, :fresh)',
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: {
          '#pk': 'user_id',
          '#attr': 'visits',
          '#version': VERSION_ATTRIBUTE,
          '#incarnation': INCARNATION_ATTRIBUTE,
        },
        ExpressionAttributeValues: {
          ':value': i,
          ':zero': 0,
          ':one': 1,
          ':fresh': newIncarnation(),
        },
        ReturnValues: 'ALL_OLD',
      }),
    ),
};

/** Sequential calls; each one's time in ms. */
async function latency(call: (i: number) => Promise<unknown>, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = now();
    await call(i);
    samples.push(now() - start);
  }
  return samples;
}

async function httpThroughput(durationMs: number, amount: number | undefined, inFlight: number) {
  const start = now();
  const result = await autocannon({
    url: `${setup.serverUrl}/dynamo?user_id=${encodeURIComponent(pick(0))}`,
    connections: inFlight,
    pipelining: 1,
    ...(amount === undefined ? { duration: durationMs / 1000 } : { amount }),
  });
  if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0) {
    throw new Error(
      `load: ${result.errors} errors, ${result.non2xx} non-2xx, ${result.timeouts} timeouts`,
    );
  }
  // autocannon's own `duration` is whole seconds: short runs need the real time.
  const seconds = (now() - start) / 1000;
  return { requests: result.requests.total, perSecond: result.requests.total / seconds };
}

/** Each variant's call times in ms, in the order they were made: `sdkVersusFetch`'s answer. */
export interface SdkCalls {
  readonly sdk: number[];
  readonly ky: number[];
  readonly raw: number[];
}

/** The part of the SDK measured here. */
interface Sdk {
  createClient(options: { baseUrl: string }): { getItem(userId: string): Promise<unknown> };
}

/** The part of ky measured here: a GET that resolves to its response. */
type Ky = (url: string) => Promise<Response>;

/**
 * The SDK's `getItem` (as `createClient` sets it up by default), ky alone (the SDK's
 * dependency, as its docs show a GET) and a raw `fetch` of the same URL, taking turns call by
 * call: ky alone is the least the SDK can cost.
 */
async function sdkVersusFetch(count: number): Promise<SdkCalls> {
  // From source, through tsx. Not a static import: the SDK is type-checked by its own tsconfig
  // (DOM types), not this one. ky is the one the SDK resolves.
  const sdkEntry = new URL('../sdk/src/index.ts', import.meta.url).href;
  const { createClient } = (await import(sdkEntry)) as Sdk;
  const kyEntry = pathToFileURL(createRequire(sdkEntry).resolve('ky')).href;
  const { default: ky } = (await import(kyEntry)) as { default: Ky };
  const api = createClient({ baseUrl: setup.serverUrl });
  const url = (userId: string) => `${setup.serverUrl}/dynamo?user_id=${encodeURIComponent(userId)}`;
  const variants = {
    sdk: (userId: string) => api.getItem(userId),
    ky: async (userId: string) => {
      const response = await ky(url(userId));
      await response.json();
      response.headers.get('etag');
    },
    raw: async (userId: string) => {
      const response = await fetch(url(userId));
      if (response.status !== 200) throw new Error(`fetch: ${response.status}`);
      await response.json();
      response.headers.get('etag');
    },
  };
  const names = Object.keys(variants) as Array<keyof typeof variants>;
  const samples = { sdk: [] as number[], ky: [] as number[], raw: [] as number[] };
  for (let i = 0; i < count; i++) {
    const userId = pick(i);
    for (let turn = 0; turn < names.length; turn++) {
      const name = names[(i + turn) % names.length] as keyof typeof variants;
      const start = now();
      await variants[name](userId);
      samples[name].push(now() - start);
    }
  }
  return samples;
}

async function run(command: Command): Promise<unknown> {
  switch (command.kind) {
    case 'latency':
      return latency(
        { http: viaHttp, direct, hop: viaHop }[command.via][command.op],
        command.count,
      );
    case 'throughput':
      return command.via === 'http'
        ? httpThroughput(command.durationMs, command.amount, command.inFlight)
        : // One item, as the HTTP load reads one URL.
          callsPerSecond(() => direct.GET(0), command);
    case 'sdk':
      return sdkVersusFetch(command.count);
  }
}

serveCommands(run);
