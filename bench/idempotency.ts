/**
 * What `Idempotency-Key` (Powertools idempotency, imported on the first request with a key) and
 * JSON Merge Patch cost, each beside the same request without them, in the same run:
 *
 * - cold start: a fresh `node` imports the Lambda bundle and answers its first POST, with a key
 *   and without (interleaved): the key adds the import of the idempotency chunk and two calls
 *   to its table (put the record in progress, complete it);
 * - what the first request with a key loads (the idempotency chunks and what they import that
 *   a cold start has not loaded), beside what a cold start loads;
 * - warm POST with a key vs without, in process on the engine (the two record calls);
 * - the layer's own CPU: POST through the core with records and items in memory, with a key vs
 *   without (hashing the request, gzipping the answer, Powertools' bookkeeping);
 * - warm merge patch vs the seed's one-attribute PATCH on the engine (a merge reads the item
 *   first, then writes on condition of the version read).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type App, createApp } from '../server/src/core/app.js';
import type { EventPublisher, ItemStore } from '../server/src/core/ports.js';
import type { ApiRequest } from '../server/src/core/request.js';
import {
  createDynamoDbIdempotency,
  createMemoryIdempotency,
  IDEMPOTENCY_TABLE_KEY,
} from '../server/src/idempotency/store.js';
import { ensureTable } from '../server/src/local/dynalite.js';
import { createDocumentClient, createDynamoDbStore } from '../server/src/store/dynamodb.js';
import { createMemoryStore } from '../server/src/store/memory.js';
import type { Bundle } from './bundles.js';
import { invokeAndReport, START_CLOCK } from './cold-start.js';
import { type Figure, figure } from './report.js';
import { median, now, perCallUs, percentile } from './stats.js';

export interface IdempotencyBenchOptions {
  readonly bundle: Bundle;
  readonly client: DynamoDBClient;
  readonly endpoint: string;
  readonly tableName: string;
  /** Fresh processes per variant. */
  readonly coldRuns: number;
  /** Requests per variant for the warm and core figures. */
  readonly requests: number;
  /** The cold starts' working directory: an empty folder. */
  readonly cwd: string;
}

/** The idempotency records' table beside `tableName`, as Terraform and `npm start` name it. */
export const idempotencyTableOf = (tableName: string) => `${tableName}-idempotency`;

export async function measureIdempotency(options: IdempotencyBenchOptions): Promise<Figure[]> {
  const { client, tableName } = options;
  await ensureTable(client, idempotencyTableOf(tableName), IDEMPOTENCY_TABLE_KEY);
  const logger = new Logger({ logLevel: 'SILENT' });
  const settings = { ttlSeconds: 86_400, inProgressMs: 30_000, logger };
  const noEvents: EventPublisher = { publish: async () => {} };

  const cold = await coldStarts(options);

  const onEngine = createApp({
    store: createDynamoDbStore(createDocumentClient(client), tableName),
    events: noEvents,
    idempotency: createDynamoDbIdempotency({
      client,
      tableName: idempotencyTableOf(tableName),
      ...settings,
    }),
    logger,
    maxBodyBytes: 400 * 1024,
    cursorKey: 'a-key-for-measuring-idempotency-only',
  });
  const warm = await interleaved(options.requests, {
    keyed: () => timed(onEngine, post(true)),
    plain: () => timed(onEngine, post(false)),
  });
  const patchTarget = `bench-merge-${randomUUID()}`;
  await send(onEngine, { ...post(false), body: JSON.stringify({ user_id: patchTarget }) }, 201);
  let n = 0;
  const patches = await interleaved(options.requests, {
    merge: () => timed(onEngine, mergePatch(patchTarget, ++n), 200),
    seed: () => timed(onEngine, seedPatch(patchTarget, ++n), 200),
  });

  const inMemory = (store: ItemStore): App =>
    createApp({
      store,
      events: noEvents,
      idempotency: createMemoryIdempotency(settings),
      logger,
      maxBodyBytes: 400 * 1024,
      cursorKey: 'a-key-for-measuring-idempotency-only',
    });
  const core = inMemory(createMemoryStore());
  const coreKeyedUs = await perCallUs(
    options.requests,
    () => post(true),
    (r) => send(core, r, 201),
  );
  const corePlainUs = await perCallUs(
    options.requests,
    () => post(false),
    (r) => send(core, r, 201),
  );

  const chunkBytes = loadedOnFirstKey(options.bundle);
  return [
    figure(
      'idempotency.coldStart',
      `cold start, first POST with an Idempotency-Key, median of ${options.coldRuns}`,
      'ms',
      median(cold.keyed.map((s) => s.wallMs)),
      'first POST without',
      median(cold.plain.map((s) => s.wallMs)),
    ),
    figure(
      'idempotency.coldStart.firstPost',
      'cold start: the first POST itself, with a key',
      'ms',
      median(cold.keyed.map((s) => s.firstInvokeMs)),
      'without',
      median(cold.plain.map((s) => s.firstInvokeMs)),
    ),
    figure(
      'idempotency.chunk',
      'what the first request with a key loads',
      'B',
      chunkBytes,
      'what a cold start loads',
      options.bundle.bytes,
    ),
    figure(
      'idempotency.warm',
      'warm POST p50 with an Idempotency-Key (in process)',
      'ms',
      percentile(warm.keyed, 50),
      'without',
      percentile(warm.plain, 50),
    ),
    figure(
      'idempotency.core',
      'core POST with an Idempotency-Key, records in memory',
      'µs',
      coreKeyedUs,
      'without',
      corePlainUs,
    ),
    figure(
      'mergePatch.warm',
      'warm merge patch p50 (in process)',
      'ms',
      percentile(patches.merge, 50),
      'one-attribute PATCH',
      percentile(patches.seed, 50),
    ),
  ];
}

/**
 * The bytes the first request with an `Idempotency-Key` loads: the lazy chunks split from the
 * idempotency modules and every chunk they import that a cold start has not loaded.
 */
function loadedOnFirstKey(bundle: Bundle): number {
  const dir = dirname(bundle.path);
  const staticImports = (file: string) =>
    [...readFileSync(file, 'utf8').matchAll(/from\s*"(\.\.?\/[^"]+)"/g)].map((m) =>
      resolve(dirname(file), m[1] as string),
    );
  const reach = (from: readonly string[], into: Set<string>) => {
    const stack = [...from];
    for (let file = stack.pop(); file !== undefined; file = stack.pop()) {
      if (into.has(file)) continue;
      into.add(file);
      stack.push(...staticImports(file));
    }
    return into;
  };
  const atStart = reach([bundle.path], new Set());
  const entries = bundle.lazy
    .filter((chunk) => /idempotency/.test(chunk.from) && !/memory/.test(chunk.from))
    .map((chunk) => join(dir, chunk.file));
  const loaded = [...reach(entries, new Set())].filter((file) => !atStart.has(file));
  return loaded.reduce((bytes, file) => bytes + statSync(file).size, 0);
}

let sequence = 0;

function request(
  method: string,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): ApiRequest {
  sequence++;
  return {
    method,
    path: '/dynamo',
    query: '',
    headers: { 'content-type': contentType, ...headers },
    body,
    requestId: `bench-${sequence}`,
  };
}

/** A POST of a new item; with a new key when `keyed`. */
function post(keyed: boolean): ApiRequest {
  return request(
    'POST',
    'application/json',
    `{"user_id":"bench-idem-${sequence}-${randomUUID()}","name":"Ada","visits":1}`,
    keyed ? { 'idempotency-key': `"${randomUUID()}"` } : {},
  );
}

const mergePatch = (userId: string, n: number) =>
  request('PATCH', 'application/merge-patch+json', `{"user_id":"${userId}","visits":${n}}`);

const seedPatch = (userId: string, n: number) =>
  request(
    'PATCH',
    'application/json',
    `{"user_id":"${userId}","updatedKey":"visits","updatedValue":${n}}`,
  );

async function send(app: App, request: ApiRequest, status: number): Promise<void> {
  const response = await app.handle(request);
  if (response.statusCode !== status) {
    throw new Error(`${request.method}: ${response.statusCode} ${response.body}`);
  }
}

async function timed(app: App, request: ApiRequest, status = 201): Promise<number> {
  const start = now();
  await send(app, request, status);
  return now() - start;
}

/** `count` timings of each variant, in batches taking turns, after a warm-up of each. */
async function interleaved<K extends string>(
  count: number,
  variants: Record<K, () => Promise<number>>,
): Promise<Record<K, number[]>> {
  const names = Object.keys(variants) as K[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<
    K,
    number[]
  >;
  for (const name of names) for (let i = 0; i < 10; i++) await variants[name]();
  const batch = 10;
  for (let done = 0; done < count; done += batch) {
    for (const name of done % (2 * batch) === 0 ? names : [...names].reverse()) {
      for (let i = 0; i < batch; i++) samples[name].push(await variants[name]());
    }
  }
  return samples;
}

// --- cold starts ------------------------------------------------------------------------------

/** Imports the bundle, invokes it with one REST (v1) POST, with the key given, reports, exits. */
const CHILD = `
${START_CLOCK}
const { handler } = await import(process.argv[1]);
const loaded = clock();
const headers = { 'content-type': 'application/json', host: 'api.example',
  ...(process.argv[3] ? { 'idempotency-key': process.argv[3] } : {}) };
const event = {
  resource: '/dynamo', path: '/dynamo', httpMethod: 'POST', headers,
  multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
  queryStringParameters: null, multiValueQueryStringParameters: null,
  pathParameters: null, stageVariables: null, isBase64Encoded: false,
  body: JSON.stringify({ user_id: process.argv[2], name: 'Ada', visits: 1 }),
  requestContext: { requestId: 'cold-post', stage: 'prod', httpMethod: 'POST', path: '/prod/dynamo' },
};
${invokeAndReport('cold-post')}`;

interface ColdPost {
  readonly wallMs: number;
  readonly firstInvokeMs: number;
}

async function coldStarts(
  options: IdempotencyBenchOptions,
): Promise<{ keyed: ColdPost[]; plain: ColdPost[] }> {
  // Where the function puts its events: a stub that takes each PutEvents at once.
  const eventBridge = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end('{"FailedEntryCount":0,"Entries":[{"EventId":"bench"}]}');
    });
  });
  await new Promise<void>((resolve) => eventBridge.listen(0, '127.0.0.1', () => resolve()));
  const eventsUrl = `http://127.0.0.1:${(eventBridge.address() as AddressInfo).port}`;
  const keyed: ColdPost[] = [];
  const plain: ColdPost[] = [];
  try {
    for (let run = 0; run < options.coldRuns; run++) {
      const order = run % 2 === 0 ? [true, false] : [false, true];
      for (const withKey of order) {
        (withKey ? keyed : plain).push(await coldPost(options, eventsUrl, withKey));
      }
    }
  } finally {
    await new Promise<void>((resolve) => eventBridge.close(() => resolve()));
  }
  return { keyed, plain };
}

function coldPost(
  options: IdempotencyBenchOptions,
  eventsUrl: string,
  withKey: boolean,
): Promise<ColdPost> {
  const args = [
    '--input-type=module',
    '--eval',
    CHILD,
    pathToFileURL(options.bundle.path).href,
    `bench-cold-${randomUUID()}`,
    withKey ? `"${randomUUID()}"` : '',
  ];
  return new Promise((resolve, reject) => {
    const start = now();
    const child = spawn(process.execPath, args, {
      cwd: options.cwd,
      // What Lambda and Terraform's environment block give the function.
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIDLOCALBENCH',
        AWS_SECRET_ACCESS_KEY: 'local-bench-secret',
        AWS_LAMBDA_FUNCTION_NAME: 'dynamo-crud',
        TABLE_NAME: options.tableName,
        IDEMPOTENCY_TABLE_NAME: idempotencyTableOf(options.tableName),
        DYNAMODB_ENDPOINT: options.endpoint,
        AWS_ENDPOINT_URL_EVENTBRIDGE: eventsUrl,
        EVENT_BUS_NAME: 'bench-bus',
        CURSOR_KEY: 'a-cursor-key-for-the-cold-start-bench',
        POWERTOOLS_LOG_LEVEL: 'WARN',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', () => {
      const wallMs = now() - start;
      const line = output.split('\n').find((l) => l.startsWith('{"status"'));
      const report = line === undefined ? undefined : (JSON.parse(line) as Record<string, number>);
      if (report?.status !== 201) {
        reject(new Error(`the first POST was not a 201:\n${output.slice(-2000)}`));
        return;
      }
      resolve({ wallMs, firstInvokeMs: (report.answered ?? 0) - (report.loaded ?? 0) });
    });
  });
}
