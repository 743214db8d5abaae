/**
 * One variant, warm, in a process of its own: it imports its bundle as Lambda would (the
 * environment comes from the bench) and invokes its `handler` with API Gateway REST events, in
 * this process, no HTTP in between; and, for its cost with no I/O, its `CreateHandler` from
 * source on a store in memory, events dropped. It answers the bench's commands over IPC: the
 * conformance check's requests, sequential latency, throughput with requests in flight, and
 * batches with no I/O. Timings are taken here, around the handler alone.
 *
 * Run with `node --import tsx`; started by `bench/peers/measure.ts`.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { createLogger } from '../../server/src/logger.js';
import { OPENAPI_PATH } from '../../server/src/openapi.js';
import { createMemoryStore } from '../../server/src/store/memory.js';
import { lambdaContext, restApiEvent } from '../../server/test/support/lambda-events.js';
import type { TestRequest } from '../../server/test/support/request.js';
import { serveCommands } from '../ipc.js';
import { callsPerSecond, now } from '../stats.js';
import type { CreateHandler, LambdaHandler } from './shared.js';

export type WarmOperation = 'GET' | 'POST';

export type WorkerCommand =
  | { readonly kind: 'invoke'; readonly request: TestRequest }
  | { readonly kind: 'latency'; readonly op: WarmOperation; readonly count: number }
  /** µs per request over `count` requests of the handler from source, with no I/O. */
  | { readonly kind: 'noIo'; readonly op: WarmOperation; readonly count: number }
  | {
      readonly kind: 'throughput';
      readonly durationMs: number;
      /** Stop after this many requests instead (`--quick`). */
      readonly amount?: number;
      readonly inFlight: number;
    };

/** A `CreateHandler` in the sources: the module's URL and the export's name. */
export interface Source {
  readonly module: string;
  readonly create: string;
}

export interface WorkerSetup {
  /** The bundle's entry file. */
  readonly bundle: string;
  readonly source: Source;
  /** Items that exist: GET reads them. */
  readonly userIds: readonly string[];
  /** Makes the ids POST creates unique to this process. */
  readonly prefix: string;
}

/** What the handler answered, with the API Gateway request id it was given. */
export interface Invocation {
  readonly requestId: string;
  readonly result: APIGatewayProxyResult;
}

const setup = JSON.parse(process.argv[2] ?? '{}') as WorkerSetup;
const { handler } = (await import(pathToFileURL(setup.bundle).href)) as { handler: LambdaHandler };

let created = 0;
const requests: Record<WarmOperation, (i: number) => TestRequest> = {
  GET: (i) => ({
    method: 'GET',
    query: { user_id: setup.userIds[i % setup.userIds.length] as string },
  }),
  POST: () => ({
    method: 'POST',
    json: { user_id: `${setup.prefix}-${++created}`, name: 'Ada', visits: 1, tags: ['a', 'b'] },
  }),
};
const expected: Record<WarmOperation, number> = { GET: 200, POST: 201 };

async function invoke(request: TestRequest): Promise<Invocation> {
  const event = restApiEvent(request);
  const result = await handler(event, lambdaContext());
  return { requestId: event.requestContext.requestId, result };
}

/**
 * One request of `op`, its time in ms (the event is built before the clock starts), checked:
 * a measure of failures would be no measure.
 */
async function timed(op: WarmOperation, i: number): Promise<number> {
  const event = restApiEvent(requests[op](i));
  const context = lambdaContext();
  const start = now();
  const { statusCode, body } = await handler(event, context);
  const ms = now() - start;
  if (statusCode !== expected[op]) {
    throw new Error(`${op}: ${statusCode}, expected ${expected[op]}: ${body.slice(0, 300)}`);
  }
  return ms;
}

/** Sequential calls; each one's time in ms. */
async function latency(op: WarmOperation, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) samples.push(await timed(op, i));
  return samples;
}

let withoutIo: LambdaHandler | undefined;

/** The handler from source, on a store in memory holding the items GET reads. */
async function handlerWithoutIo(): Promise<LambdaHandler> {
  if (withoutIo !== undefined) return withoutIo;
  const create = ((await import(setup.source.module)) as Record<string, CreateHandler>)[
    setup.source.create
  ] as CreateHandler;
  const store = createMemoryStore();
  for (const userId of setup.userIds) {
    await store.create({ user_id: userId, name: 'Ada Lovelace', visits: 1, tags: ['a', 'b'] });
  }
  withoutIo = create({
    store,
    events: { publish: async () => {} },
    logger: createLogger({ logLevel: 'SILENT' }),
    maxBodyBytes: 400 * 1024,
    openApiPath: fileURLToPath(OPENAPI_PATH),
  });
  return withoutIo;
}

/** µs per request over `count` requests with no I/O; events are made before the clock starts. */
async function noIo(op: WarmOperation, count: number): Promise<number> {
  const handler = await handlerWithoutIo();
  const inputs = Array.from({ length: count }, (_, i) => ({
    event: restApiEvent(requests[op](i)),
    context: lambdaContext(),
  }));
  const start = now();
  for (const { event, context } of inputs) {
    const { statusCode, body } = await handler(event, context);
    if (statusCode !== expected[op]) {
      throw new Error(
        `${op}, no I/O: ${statusCode}, expected ${expected[op]}: ${body.slice(0, 300)}`,
      );
    }
  }
  return ((now() - start) * 1000) / count;
}

function run(command: WorkerCommand): Promise<unknown> {
  switch (command.kind) {
    case 'invoke':
      return invoke(command.request);
    case 'latency':
      return latency(command.op, command.count);
    case 'noIo':
      return noIo(command.op, command.count);
    case 'throughput':
      // GETs of one item, as the local server's load reads one URL.
      return callsPerSecond(() => timed('GET', 0), command);
  }
}

serveCommands(run);
