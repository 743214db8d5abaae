/**
 * One Lambda bundle, warm, in a process of its own: it imports the bundle as Lambda would (the
 * environment comes from the bench) and invokes its `handler` with API Gateway REST events, in
 * this process, no HTTP in between. It answers the bench's commands over IPC: the conformance
 * check's requests, sequential latency, and throughput with requests in flight. Timings are
 * taken here, around the handler alone.
 *
 * Run with `node --import tsx`; started by `bench/peers/measure.ts`.
 */
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { lambdaContext, restApiEvent } from '../../server/test/support/lambda-events.js';
import type { TestRequest } from '../../server/test/support/request.js';
import { serveCommands } from '../ipc.js';
import { callsPerSecond, now } from '../stats.js';

export type WarmOperation = 'GET' | 'POST';

export type WorkerCommand =
  | { readonly kind: 'invoke'; readonly request: TestRequest }
  | { readonly kind: 'latency'; readonly op: WarmOperation; readonly count: number }
  | {
      readonly kind: 'throughput';
      readonly durationMs: number;
      /** Stop after this many requests instead (`--quick`). */
      readonly amount?: number;
      readonly inFlight: number;
    };

export interface WorkerSetup {
  /** The bundle's entry file. */
  readonly bundle: string;
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

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const setup = JSON.parse(process.argv[2] ?? '{}') as WorkerSetup;
const { handler } = (await import(pathToFileURL(setup.bundle).href)) as { handler: Handler };

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

function run(command: WorkerCommand): Promise<unknown> {
  switch (command.kind) {
    case 'invoke':
      return invoke(command.request);
    case 'latency':
      return latency(command.op, command.count);
    case 'throughput':
      // GETs of one item, as the local server's load reads one URL.
      return callsPerSecond(() => timed('GET', 0), command);
  }
}

serveCommands(run);
