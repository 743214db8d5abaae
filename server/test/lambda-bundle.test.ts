/**
 * The zip `npm run build:lambda` makes, run as Lambda runs it: unzipped alone into an empty
 * folder (no node_modules, no openapi.yaml beside it), imported by a fresh `node` process with
 * only the environment Lambda and Terraform give it, then invoked with an API Gateway REST (v1)
 * and an HTTP API (v2) event. DynamoDB is a real engine (dynalite); EventBridge is a loopback
 * stub that records each PutEvents.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUNDLE_FILE_NAME,
  type BuildResult,
  buildLambda,
  LAMBDA_HANDLER,
} from '../../scripts/build-lambda.js';
import { type Engine, ensureTable, startEngine } from '../src/local/engine.js';
import { expectContractResponse, type OperationId } from './support/contract.js';
import { createTestClient } from './support/engine.js';
import { type EventInput, httpApiEvent, restApiEvent } from './support/events.js';
import { expectSchema } from './support/schema.js';

/** The child: imports the bundle, then answers each event sent to it over IPC. */
const CHILD = `
const { ${LAMBDA_HANDLER.split('.')[1]}: handler } = await import(process.argv[1]);
process.on('message', async ({ id, event }) => {
  const context = {
    awsRequestId: id, functionName: 'dynamo-crud', functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:dynamo-crud',
    memoryLimitInMB: '512', logGroupName: '/aws/lambda/dynamo-crud', logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: false, getRemainingTimeInMillis: () => 10000,
  };
  try {
    process.send({ id, result: await handler(event, context) });
  } catch (error) {
    process.send({ id, error: String(error && error.stack || error) });
  }
});
process.send({ ready: true });
`;

interface Invocation {
  readonly statusCode: number;
  readonly headers?: Record<string, string>;
  readonly body: string;
  readonly isBase64Encoded?: boolean;
}

interface StubRequest {
  readonly target: string | undefined;
  readonly body: { Entries?: Array<Record<string, string>> };
}

const workDir = mkdtempSync(join(tmpdir(), 'dynamo-crud-bundle-'));
const tableName = `items-${randomUUID()}`;
let build: BuildResult;
let zipEntries: string[];
let engine: Engine;
let stub: { server: Server; url: string; requests: StubRequest[] };
let child: ChildProcess;
let output = '';
/** The end of what the child printed (a crash prints a whole minified line first). */
const printed = () => output.slice(-2000);
type Reply = { result?: Invocation; error?: string };
const pending = new Map<string, { resolve: (reply: Reply) => void; reject: (e: Error) => void }>();

beforeAll(async () => {
  build = await buildLambda({ outDir: join(workDir, 'build') });
  // As Lambda does: the zip's content, alone, in the task folder.
  const files = unzipSync(readFileSync(build.zipPath));
  zipEntries = Object.keys(files);
  const taskDir = join(workDir, 'task');
  mkdirSync(taskDir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(taskDir, name), content);

  engine = await startEngine(':memory:');
  const client = createTestClient(engine.endpoint);
  await ensureTable(client, tableName);
  client.destroy();
  stub = await startEventBridgeStub();

  child = spawn(
    process.execPath,
    ['--input-type=module', '--eval', CHILD, pathToFileURL(join(taskDir, BUNDLE_FILE_NAME)).href],
    {
      cwd: taskDir,
      // Only what Lambda (and Terraform's environment block) would give the function.
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST',
        AWS_SECRET_ACCESS_KEY: 'local-test-secret',
        AWS_LAMBDA_FUNCTION_NAME: 'dynamo-crud',
        TABLE_NAME: tableName,
        DYNAMODB_ENDPOINT: engine.endpoint,
        EVENT_BUS_NAME: 'test-bus',
        AWS_ENDPOINT_URL_EVENTBRIDGE: stub.url,
        // Should an event fail, its dead letter goes to the stub too (and the test fails).
        AWS_ENDPOINT_URL_SQS: stub.url,
        DLQ_URL: `${stub.url}/123456789012/undelivered-events`,
        POWERTOOLS_LOG_LEVEL: 'WARN',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.on('message', (message: Reply & { id?: string }) => {
    if (message.id !== undefined) pending.get(message.id)?.resolve(message);
  });
  child.on('exit', (code) => {
    for (const { reject } of pending.values()) {
      reject(new Error(`the function exited (${code}):\n${printed()}`));
    }
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) =>
      reject(new Error(`the bundle did not load (exit ${code}):\n${printed()}`)),
    );
  });
});

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) {
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill();
    });
  }
  if (stub !== undefined) await new Promise((resolve) => stub.server.close(resolve));
  await engine?.close();
  rmSync(workDir, { recursive: true, force: true });
});

/** Invokes the bundled handler in the child and checks the response against the contract. */
async function invoke(
  operationId: OperationId,
  event: APIGatewayProxyEvent | APIGatewayProxyEventV2,
) {
  const id = randomUUID();
  const reply = await new Promise<Reply>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    child.send({ id, event });
  });
  pending.delete(id);
  expect(reply.error, printed()).toBeUndefined();
  const result = reply.result as Invocation;
  const seen = {
    status: result.statusCode,
    headers: Object.fromEntries(
      Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
    ),
    body: result.body,
  };
  return { ...seen, json: expectContractResponse(operationId, seen) };
}

function input(method: string, options: Partial<EventInput> = {}): EventInput {
  return { method, path: '/dynamo', query: [], headers: {}, body: undefined, ...options };
}

describe('the Lambda bundle', () => {
  it('is one ESM file in the zip, the module Terraform names as the handler', () => {
    expect(zipEntries).toEqual([BUNDLE_FILE_NAME]);
    expect(BUNDLE_FILE_NAME).toMatch(/\.mjs$/);
    expect(`${BUNDLE_FILE_NAME.replace(/\.mjs$/, '')}.handler`).toBe(LAMBDA_HANDLER);
  });

  it('creates through a REST API (v1) event, announcing it with one PutEvents, and reads it back through an HTTP API (v2) event', async () => {
    const item = { user_id: `user-${randomUUID()}`, name: 'Ada', visits: 3 };
    const before = stub.requests.length;

    const created = await invoke(
      'createItem',
      restApiEvent(
        input('POST', {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(item),
        }),
      ),
    );
    const announced = stub.requests.slice(before);
    const read = await invoke(
      'getItem',
      httpApiEvent(input('GET', { query: [['user_id', item.user_id]] })),
    );

    expect(created.status, printed()).toBe(201);
    expect(created.json).toEqual(item);
    expect(read.status).toBe(200);
    expect(read.json).toEqual(item);
    expect(read.headers.etag).toBe('"1"');
    expect(announced.map((r) => r.target)).toEqual(['AWSEvents.PutEvents']);
    const entries = announced[0]?.body.Entries ?? [];
    expect(entries).toHaveLength(1);
    const entry = entries[0] as Record<string, string>;
    expect(entry).toMatchObject({
      EventBusName: 'test-bus',
      Source: 'dynamo',
      DetailType: 'dynamo_POST',
    });
    const detail = JSON.parse(entry.Detail as string) as Record<string, unknown>;
    expectSchema('ItemCreatedDetail', detail);
    expect(detail).toMatchObject({ operation: 'POST', user_id: item.user_id, item, version: 1 });
    expect(stub.requests.length, 'a read announces nothing').toBe(before + 1);
  });

  it('builds reproducibly: the same code gives the same zip, so Terraform redeploys only on change', async () => {
    const again = await buildLambda({ outDir: join(workDir, 'build-again') });

    expect(readFileSync(again.zipPath).equals(readFileSync(build.zipPath))).toBe(true);
  });
});

/** A loopback EventBridge that accepts every PutEvents entry and records each request. */
async function startEventBridgeStub(): Promise<{
  server: Server;
  url: string;
  requests: StubRequest[];
}> {
  const requests: StubRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = req.headers['x-amz-target'];
      const text = Buffer.concat(chunks).toString();
      requests.push({
        target: Array.isArray(target) ? target[0] : target,
        body: text === '' ? {} : (JSON.parse(text) as StubRequest['body']),
      });
      if (target === 'AWSEvents.PutEvents') {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] }));
      } else {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ __type: 'UnexpectedRequest', message: 'not stubbed' }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, requests };
}
