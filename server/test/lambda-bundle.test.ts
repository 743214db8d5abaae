/**
 * The zip `npm run build:lambda` makes, run as Lambda runs it: unzipped alone into an empty
 * folder (no node_modules, no openapi.yaml beside it), imported by a fresh `node` process with
 * only the environment Lambda and Terraform give it, then invoked with an API Gateway REST (v1)
 * and an HTTP API (v2) event. DynamoDB is a real engine (dynalite); EventBridge and SQS are the
 * test fakes on a loopback port, which record each request. The bundle is code-split: the entry file and its
 * chunks, the SQS client's loaded only on the first dead letter, which a second fresh process
 * exercises (EventBridge answering 500, so the event goes to the dead-letter queue).
 *
 * Every case runs on this process's Node.js and on Node.js 22, the runtime Terraform deploys,
 * when it is installed (`support/node22.ts`; `.ci/run` installs it, so CI always runs both).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUNDLE_FILE_NAME,
  type BuildResult,
  buildLambda,
  CHUNK_DIR,
  LAMBDA_HANDLER,
} from '../../scripts/build-lambda.js';
import type { ApiGatewayResult } from '../src/adapters/lambda.js';
import { IDEMPOTENCY_TABLE_KEY } from '../src/idempotency/store.js';
import { type Engine, ensureTable, startEngine } from '../src/local/dynalite.js';
import {
  type AwsFakeServer,
  type AwsFakes,
  createAwsFakes,
  eventBridgeAnswers,
  type PutEventsEntry,
  startAwsFakeServer,
} from './support/aws-fakes.js';
import {
  expectContractResponse,
  expectValidSchema,
  type OperationId,
} from './support/conformance.js';
import { createTestClient } from './support/engine.js';
import { etagAt } from './support/etags.js';
import {
  httpApiEvent,
  lambdaEnvironment,
  restApiEvent,
  seenFromLambda,
} from './support/lambda-events.js';
import { bundleRuntimes, requireNode22OnCi } from './support/node22.js';

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

const workDir = mkdtempSync(join(tmpdir(), 'dynamo-crud-bundle-'));
const tableName = `items-${randomUUID()}`;
let build: BuildResult;
let zipEntries: string[];
let taskDir: string;
let engine: Engine;
let aws: AwsFakes;
let stub: AwsFakeServer;
let child: ChildProcess;
let output = '';
/** The end of what the child printed (a crash prints a whole minified line first). */
const printed = () => output.slice(-2000);
type Reply = { result?: Invocation; error?: string };
const pending = new Map<string, { resolve: (reply: Reply) => void; reject: (e: Error) => void }>();

beforeAll(async () => {
  build = await buildLambda({ outDir: join(workDir, 'build'), metafile: true });
  // As Lambda does: the zip's content, alone, in the task folder.
  const files = unzipSync(readFileSync(build.zipPath));
  zipEntries = Object.keys(files);
  taskDir = join(workDir, 'task');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(taskDir, name)), { recursive: true });
    writeFileSync(join(taskDir, name), content);
  }

  engine = await startEngine(':memory:');
  const client = createTestClient(engine.endpoint);
  await ensureTable(client, tableName);
  await ensureTable(client, `${tableName}-idempotency`, IDEMPOTENCY_TABLE_KEY);
  client.destroy();
  aws = createAwsFakes();
  stub = await startAwsFakeServer(aws);
  requireNode22OnCi();
});

afterAll(async () => {
  await stub?.close();
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
  const seen = seenFromLambda(reply.result as ApiGatewayResult);
  return { ...seen, json: expectContractResponse(operationId, seen) };
}

describe.each(bundleRuntimes())('the Lambda bundle on $name', ({ node, major }) => {
  beforeAll(async () => {
    output = '';
    child = await startFunction(
      taskDir,
      stub.url,
      (text) => {
        output += text;
      },
      node,
    );
    child.on('message', (message: Reply & { id?: string }) => {
      if (message.id !== undefined) pending.get(message.id)?.resolve(message);
    });
    child.on('exit', (code) => {
      for (const { reject } of pending.values()) {
        reject(new Error(`the function exited (${code}):\n${printed()}`));
      }
    });
  });
  afterAll(async () => {
    await stopChild(child);
  });

  it('runs on the Node.js it is given', async () => {
    const version = await new Promise<string>((resolve) => {
      const probe = spawn(node, ['--version']);
      let text = '';
      probe.stdout?.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      probe.on('close', () => resolve(text.trim()));
    });
    expect(version.startsWith(`v${major}.`), version).toBe(true);
  });

  it('is an ESM entry file, the module Terraform names as the handler, plus its chunks, all in the zip', () => {
    expect(zipEntries).toEqual(build.files);
    expect(zipEntries[0]).toBe(BUNDLE_FILE_NAME);
    expect(BUNDLE_FILE_NAME).toMatch(/\.mjs$/);
    expect(`${BUNDLE_FILE_NAME.replace(/\.mjs$/, '')}.handler`).toBe(LAMBDA_HANDLER);
    const chunks = zipEntries.slice(1);
    expect(chunks.length).toBeGreaterThan(0);
    for (const chunk of chunks) expect(chunk).toMatch(new RegExp(`^${CHUNK_DIR}/[\\w-]+\\.mjs$`));
    expect([...build.startFiles, ...build.lazyFiles].sort()).toEqual([...zipEntries].sort());
  });

  it('keeps the SQS client out of the cold start: a chunk of its own, loaded only by a dynamic import', () => {
    // esbuild names its outputs relative to the working directory.
    const outputs = Object.entries(build.metafile?.outputs ?? {}).map(
      ([name, output]) =>
        [relative(dirname(build.bundlePath), resolve(process.cwd(), name)), output] as const,
    );
    const sqs = outputs.filter(([, o]) => o.entryPoint?.includes('@aws-sdk/client-sqs/') === true);
    expect(sqs).toHaveLength(1);
    const sqsFile = sqs[0]?.[0] as string;
    expect(build.lazyFiles).toContain(sqsFile);
    expect(build.startFiles).not.toContain(sqsFile);
    expect(zipEntries).toContain(sqsFile);
    // No SQS client code is loaded at start.
    const atStart = outputs.filter(([name]) => build.startFiles.includes(name));
    expect(atStart.length).toBe(build.startFiles.length);
    for (const [, output] of atStart) {
      expect(Object.keys(output.inputs).filter((i) => i.includes('@aws-sdk/client-sqs/'))).toEqual(
        [],
      );
    }
  });

  it('keeps Powertools idempotency out of the cold start: loaded only by the first request with an Idempotency-Key', () => {
    const outputs = Object.entries(build.metafile?.outputs ?? {}).map(
      ([name, output]) =>
        [relative(dirname(build.bundlePath), resolve(process.cwd(), name)), output] as const,
    );
    const holding = outputs.filter(([, o]) =>
      Object.keys(o.inputs).some((i) => i.includes('@aws-lambda-powertools/idempotency/')),
    );

    expect(holding.length).toBeGreaterThan(0);
    for (const [name] of holding) {
      expect(build.lazyFiles).toContain(name);
      expect(build.startFiles).not.toContain(name);
    }
  });

  it('replays a POST sent again with its Idempotency-Key, from the zip: one item, one event', async () => {
    const item = { user_id: `user-${randomUUID()}`, name: 'Ada' };
    const headers = { 'idempotency-key': `"${randomUUID()}"` };
    const before = aws.eventBridge.requests.length;

    const created = await invoke(
      'createItem',
      restApiEvent({ method: 'POST', json: item, headers }),
    );
    const again = await invoke('createItem', httpApiEvent({ method: 'POST', json: item, headers }));

    expect(created.status, printed()).toBe(201);
    expect(again.status, printed()).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json).toEqual(item);
    expect(aws.eventBridge.requests.length - before).toBe(1);
  });

  it('holds nothing of the local server: not the embedded engine, the docs page or its renderer', () => {
    const inputs = Object.values(build.metafile?.outputs ?? {}).flatMap((o) =>
      Object.keys(o.inputs),
    );

    expect(inputs.length).toBeGreaterThan(0);
    expect(inputs.filter((i) => /server\/src\/local\/|swagger-ui|dynalite/.test(i))).toEqual([]);
  });

  it('creates through a REST API (v1) event, announcing it with one PutEvents, and reads it back through an HTTP API (v2) event', async () => {
    const item = { user_id: `user-${randomUUID()}`, name: 'Ada', visits: 3 };
    const requests = () => [...aws.eventBridge.requests, ...aws.sqs.requests];
    const before = requests().length;

    const created = await invoke('createItem', restApiEvent({ method: 'POST', json: item }));
    const announced = requests().slice(before);
    const read = await invoke(
      'getItem',
      httpApiEvent({ method: 'GET', query: { user_id: item.user_id } }),
    );

    expect(created.status, printed()).toBe(201);
    expect(created.json).toEqual(item);
    expect(read.status).toBe(200);
    expect(read.json).toEqual(item);
    expect(read.headers.etag).toEqual(etagAt(1));
    expect(read.headers.etag).toBe(created.headers.etag);
    expect(announced.map((r) => r.target)).toEqual(['AWSEvents.PutEvents']);
    const entries = (announced[0]?.body.Entries as PutEventsEntry[] | undefined) ?? [];
    expect(entries).toHaveLength(1);
    const entry = entries[0] as PutEventsEntry;
    expect(entry).toMatchObject({
      EventBusName: 'test-bus',
      Source: 'dynamo',
      DetailType: 'dynamo_POST',
    });
    const detail = JSON.parse(entry.Detail) as Record<string, unknown>;
    expectValidSchema('ItemCreatedDetail', detail);
    expect(detail).toMatchObject({ operation: 'POST', user_id: item.user_id, item, version: 1 });
    expect(requests().length, 'a read announces nothing').toBe(before + 1);
  });

  it('sends an event EventBridge will not take to the SQS dead-letter queue, from the zip, in a fresh process', async () => {
    const failingAws = createAwsFakes();
    failingAws.eventBridge.answerWith(
      eventBridgeAnswers.error(500, 'InternalException', 'stubbed failure'),
    );
    const failing = await startAwsFakeServer(failingAws);
    let text = '';
    let fresh: ChildProcess | undefined;
    try {
      fresh = await startFunction(
        taskDir,
        failing.url,
        (chunk) => {
          text += chunk;
        },
        node,
      );
      const item = { user_id: `user-${randomUUID()}`, name: 'Grace', visits: 1 };
      const reply = await new Promise<Reply>((resolve, reject) => {
        const id = randomUUID();
        const child = fresh as ChildProcess;
        child.on('message', (message: Reply & { id?: string }) => {
          if (message.id === id) resolve(message);
        });
        child.once('exit', (code) => reject(new Error(`exited (${code}):\n${text.slice(-2000)}`)));
        child.send({
          id,
          event: restApiEvent({ method: 'POST', json: item }),
        });
      });

      expect(reply.error, text.slice(-2000)).toBeUndefined();
      expect(reply.result?.statusCode, text.slice(-2000)).toBe(201);
      const targets = failingAws.eventBridge.requests.map((r) => r.target);
      expect(targets.filter((t) => t === 'AWSEvents.PutEvents').length).toBeGreaterThan(0);
      const sent = failingAws.sqs.requests.filter((r) => r.target === 'AmazonSQS.SendMessage');
      expect(sent, text.slice(-2000)).toHaveLength(1);
      expect(sent[0]?.body.QueueUrl).toBe(`${failing.url}/123456789012/undelivered-events`);
      const letter = JSON.parse(sent[0]?.body.MessageBody as string) as {
        entry: Record<string, string>;
        attempts: number;
      };
      expect(letter.entry).toMatchObject({ EventBusName: 'test-bus', DetailType: 'dynamo_POST' });
      expect(JSON.parse(letter.entry.Detail as string)).toMatchObject({ user_id: item.user_id });
      expect(letter.attempts).toBe(targets.filter((t) => t === 'AWSEvents.PutEvents').length);
    } finally {
      await stopChild(fresh);
      await failing.close();
    }
  });

  it('builds reproducibly: the same code gives the same zip, so Terraform redeploys only on change', async () => {
    const again = await buildLambda({ outDir: join(workDir, 'build-again') });

    expect(readFileSync(again.zipPath).equals(readFileSync(build.zipPath))).toBe(true);
  });
});

/**
 * Starts the unzipped function in a fresh `node`, with only the environment Lambda (and
 * Terraform's environment block) would give it, EventBridge and SQS pointing at `stubUrl`.
 * Resolves once the bundle is imported.
 */
async function startFunction(
  dir: string,
  stubUrl: string,
  onOutput: (text: string) => void,
  node: string = process.execPath,
): Promise<ChildProcess> {
  let printedHere = '';
  const started = spawn(
    node,
    ['--input-type=module', '--eval', CHILD, pathToFileURL(join(dir, BUNDLE_FILE_NAME)).href],
    {
      cwd: dir,
      // Only what Lambda (and Terraform's environment block) would give the function.
      env: {
        PATH: process.env.PATH ?? '',
        ...lambdaEnvironment({
          dynamodbEndpoint: engine.endpoint,
          tableName,
          busName: 'test-bus',
          // Dead letters go to the fake too (a test that expects none fails on one).
          awsEndpoint: stubUrl,
          deadLetterQueueUrl: `${stubUrl}/123456789012/undelivered-events`,
        }),
        POWERTOOLS_LOG_LEVEL: 'WARN',
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  const collect = (chunk: Buffer) => {
    printedHere += chunk.toString();
    onOutput(chunk.toString());
  };
  started.stdout?.on('data', collect);
  started.stderr?.on('data', collect);
  await new Promise<void>((resolve, reject) => {
    started.once('message', () => resolve());
    started.once('exit', (code) =>
      reject(new Error(`the bundle did not load (exit ${code}):\n${printedHere.slice(-2000)}`)),
    );
  });
  return started;
}

async function stopChild(started: ChildProcess | undefined): Promise<void> {
  if (started === undefined || started.exitCode !== null) return;
  await new Promise((resolve) => {
    started.once('exit', resolve);
    started.kill();
  });
}
