/**
 * The peers beside the function and the floor, in the bench's run. Each variant's bundle is
 * warm in a process of its own (`handler-worker.ts`), on the bench's engine, its `PutEvents`
 * answered by the tests' fake EventBridge (a loopback server here). First every variant but
 * the floor passes the conformance check (`conformance.ts`); then, after the bench's shared
 * cold start: warm GET and POST latency and throughput with requests in flight, the variants
 * taking turns so they share the machine's noise; and each one's cost per request with no I/O
 * (store in memory, events dropped), from source, in this process.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import type { EventPublisher } from '../../server/src/core/ports.js';
import { createLogger } from '../../server/src/logger.js';
import { OPENAPI_PATH } from '../../server/src/openapi.js';
import { createMemoryStore } from '../../server/src/store/memory.js';
import {
  type AwsFakeServer,
  createAwsFakes,
  startAwsFakeServer,
} from '../../server/test/support/aws-fakes.js';
import {
  lambdaContext,
  lambdaEnvironment,
  restApiEvent,
} from '../../server/test/support/lambda-events.js';
import type { TestRequest } from '../../server/test/support/request.js';
import type { Bundle } from '../bundles.js';
import { startWorker, type Worker } from '../ipc.js';
import { median, now, percentile } from '../stats.js';
import { createFloorHandler, createFunctionHandler } from './baselines.js';
import { checkConformance } from './conformance.js';
import type { Invocation, WarmOperation, WorkerCommand } from './handler-worker.js';
import type { CreateHandler } from './shared.js';
import { PEERS } from './variants.js';

/** The floor first: every ratio is to it. */
export const FLOOR = 'floor';

export interface Variant {
  readonly id: string;
  readonly label: string;
  readonly bundle: Bundle;
  /** Its handler on other dependencies, from source (for the cost with no I/O). */
  readonly create: () => Promise<CreateHandler>;
}

/** The floor, the function and every peer, with their bundles. */
export function variants(bundles: {
  readonly floor: Bundle;
  readonly function: Bundle;
  readonly peers: Readonly<Record<string, Bundle>>;
}): Variant[] {
  return [
    { id: FLOOR, label: 'floor', bundle: bundles.floor, create: async () => createFloorHandler },
    {
      id: 'function',
      label: 'function',
      bundle: bundles.function,
      create: async () => createFunctionHandler,
    },
    ...PEERS.map((peer) => ({
      id: peer.id,
      label: peer.label,
      bundle: bundles.peers[peer.id] as Bundle,
      create: async () =>
        ((await import(peer.module.href)) as Record<string, CreateHandler>)[
          peer.create
        ] as CreateHandler,
    })),
  ];
}

export interface PeersSetup {
  readonly variants: readonly Variant[];
  readonly endpoint: string;
  readonly tableName: string;
  readonly db: DynamoDBDocumentClient;
  /** Items that exist, for GET. */
  readonly userIds: readonly string[];
  /** Told of each child process, so that the bench can stop them if it stops early. */
  readonly track: (child: ChildProcess) => void;
}

export interface WarmCounts {
  readonly warmup: number;
  /** Sequential requests of each operation per variant, over all rounds. */
  readonly latency: number;
  readonly rounds: number;
  readonly throughputMs: number;
  readonly throughputRounds: number;
  /** `--quick`: a fixed number of requests instead of a duration. */
  readonly throughputAmount: number | undefined;
  readonly inFlight: number;
}

export interface WarmResult {
  /** ms per request, by variant and operation: every sample. */
  readonly latencyMs: Readonly<Record<string, Record<WarmOperation, number[]>>>;
  /** Requests per second, by variant: one per round. */
  readonly throughput: Readonly<Record<string, number[]>>;
}

const BUS_NAME = 'bench-bus';
const MAX_BODY_BYTES = 400 * 1024;
const WORKER = fileURLToPath(new URL('./handler-worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Every variant's bundle warm in its own process, and the fake EventBridge they call. */
export interface WarmPeers {
  /**
   * The conformance check on every variant but the floor.
   * @throws listing what each one got wrong, so that none is measured doing less
   */
  checkConformance(): Promise<void>;
  measure(counts: WarmCounts): Promise<WarmResult>;
  stop(): Promise<void>;
}

export async function startPeers(setup: PeersSetup): Promise<WarmPeers> {
  const fakes = createAwsFakes();
  const fake: AwsFakeServer = await startAwsFakeServer(fakes);
  const workers = new Map<string, Worker<WorkerCommand>>();
  for (const variant of setup.variants) {
    workers.set(
      variant.id,
      await startWorker<WorkerCommand>(WORKER, {
        setup: {
          bundle: variant.bundle.path,
          userIds: setup.userIds,
          prefix: `warm-${variant.id}`,
        },
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          ...lambdaEnvironment({
            dynamodbEndpoint: setup.endpoint,
            tableName: setup.tableName,
            busName: BUS_NAME,
            awsEndpoint: fake.url,
          }),
          MAX_BODY_BYTES: String(MAX_BODY_BYTES),
          POWERTOOLS_LOG_LEVEL: 'WARN',
        },
        track: setup.track,
      }),
    );
  }
  const worker = (id: string) => workers.get(id) as Worker<WorkerCommand>;
  const measured = setup.variants.map((v) => v.id);

  return {
    async checkConformance() {
      const failures: string[] = [];
      for (const { id } of setup.variants) {
        if (id === FLOOR) continue;
        const wrong = await checkConformance({
          invoke: (request: TestRequest) =>
            worker(id).run({ kind: 'invoke', request }) as Promise<Invocation>,
          db: setup.db,
          tableName: setup.tableName,
          eventBridge: fakes.eventBridge,
          busName: BUS_NAME,
          prefix: `conformance-${id}`,
          maxBodyBytes: MAX_BODY_BYTES,
        });
        failures.push(...wrong.map((line) => `${id}: ${line}`));
      }
      fakes.reset();
      if (failures.length > 0) {
        throw new Error(
          `not measured: they do less than the contract asks\n${failures.join('\n')}`,
        );
      }
    },

    async measure(counts) {
      const ops: WarmOperation[] = ['GET', 'POST'];
      const latencyMs = Object.fromEntries(
        measured.map((id) => [id, { GET: [] as number[], POST: [] as number[] }]),
      );
      const throughput: Record<string, number[]> = Object.fromEntries(
        measured.map((id) => [id, [] as number[]]),
      );
      for (const id of measured) {
        for (const op of ops) await worker(id).run({ kind: 'latency', op, count: counts.warmup });
      }
      for (let round = 0; round < counts.rounds; round++) {
        for (const id of turns(measured, round)) {
          for (const op of ops) {
            const count = Math.ceil(counts.latency / counts.rounds);
            const samples = (await worker(id).run({ kind: 'latency', op, count })) as number[];
            latencyMs[id]?.[op].push(...samples);
          }
        }
        // The fake keeps every request it is sent: forget the POSTs' events as they come.
        fakes.reset();
      }
      for (let round = 0; round < counts.throughputRounds; round++) {
        for (const id of turns(measured, round)) {
          const result = (await worker(id).run({
            kind: 'throughput',
            durationMs: counts.throughputMs,
            inFlight: counts.inFlight,
            ...(counts.throughputAmount === undefined ? {} : { amount: counts.throughputAmount }),
          })) as { perSecond: number };
          throughput[id]?.push(result.perSecond);
        }
      }
      return { latencyMs, throughput };
    },

    async stop() {
      for (const w of workers.values()) w.stop();
      await fake.close();
    },
  };
}

/** `items` starting at a different one each round, so that none always follows another. */
function turns<T>(items: readonly T[], round: number): T[] {
  return items.map((_, i) => items[(i + round) % items.length] as T);
}

/** Batches of the cost with no I/O: the median one's is the figure. */
const BATCHES = 10;

/** µs per request through each variant's handler with no I/O, by variant and operation. */
export type FrameworkCost = Record<string, Record<WarmOperation, number>>;

const noEvents: EventPublisher = { publish: async () => {} };

/**
 * Each variant's handler with the store in memory and events dropped: what its routing,
 * parsing, validation, operation and response cost per request, API Gateway event in, result
 * out. After `iterations` requests of warm-up, 10 batches of `iterations / 10`, the variants
 * taking turns batch by batch (so a burst of noise is not one variant's); the median batch's
 * mean. Events and contexts are made before each batch's clock starts.
 */
export async function measureFrameworkCost(
  list: readonly Variant[],
  iterations: number,
): Promise<FrameworkCost> {
  const requests: Record<WarmOperation, (i: number) => TestRequest> = {
    GET: () => ({ method: 'GET', query: { user_id: 'ada' } }),
    POST: (i) => ({
      method: 'POST',
      json: { user_id: `u${i}`, name: 'Ada Lovelace', visits: 1, tags: ['a', 'b'] },
    }),
  };
  const expected: Record<WarmOperation, number> = { GET: 200, POST: 201 };
  const runs: Array<{ id: string; op: WarmOperation; batch: (size: number) => Promise<number> }> =
    [];
  for (const variant of list) {
    const store = createMemoryStore();
    await store.create({ user_id: 'ada', name: 'Ada Lovelace', visits: 1, tags: ['a', 'b'] });
    const handler = (await variant.create())({
      store,
      events: noEvents,
      logger: createLogger({ logLevel: 'SILENT' }),
      maxBodyBytes: MAX_BODY_BYTES,
      openApiPath: fileURLToPath(OPENAPI_PATH),
    });
    let n = 0;
    for (const op of ['GET', 'POST'] as const) {
      runs.push({
        id: variant.id,
        op,
        /** µs per request over `size` requests. */
        batch: async (size) => {
          const inputs = Array.from({ length: size }, (): [APIGatewayProxyEvent, Context] => [
            restApiEvent(requests[op](n++)),
            lambdaContext(),
          ]);
          const start = now();
          for (const [event, context] of inputs) {
            const { statusCode, body } = await handler(event, context);
            if (statusCode !== expected[op]) {
              throw new Error(`${variant.id} ${op}, no I/O: ${statusCode} ${body.slice(0, 200)}`);
            }
          }
          return ((now() - start) * 1000) / size;
        },
      });
    }
  }
  for (const run of runs) await run.batch(iterations);
  const samples = new Map(runs.map((run) => [run, [] as number[]]));
  for (let b = 0; b < BATCHES; b++) {
    for (const run of turns(runs, b))
      samples.get(run)?.push(await run.batch(Math.max(1, Math.ceil(iterations / BATCHES))));
  }
  const cost: FrameworkCost = {};
  for (const [{ id, op }, perRequest] of samples) {
    cost[id] ??= { GET: Number.NaN, POST: Number.NaN };
    (cost[id] as Record<WarmOperation, number>)[op] = median(perRequest);
  }
  return cost;
}

/** One variant's figures in the peers table, each beside the floor's. */
export interface PeerRow {
  readonly id: string;
  readonly label: string;
  readonly figures: Readonly<
    Record<PeerMeasure, { readonly value: number; readonly ratio: number }>
  >;
}

export type PeerMeasure =
  | 'bundleGzip'
  | 'coldStart'
  | 'init'
  | 'firstRequest'
  | 'warmGet'
  | 'warmPost'
  | 'noIoGet'
  | 'noIoPost'
  | 'throughput';

/** The columns of the peers table: what each measure is, and its unit. */
export const PEER_MEASURES: Readonly<Record<PeerMeasure, { title: string; unit: string }>> = {
  bundleGzip: { title: 'bundle, gzip', unit: 'B' },
  coldStart: { title: 'cold start', unit: 'ms' },
  init: { title: 'init', unit: 'ms' },
  firstRequest: { title: 'first GET', unit: 'ms' },
  warmGet: { title: 'warm GET p50', unit: 'ms' },
  warmPost: { title: 'warm POST p50', unit: 'ms' },
  noIoGet: { title: 'GET, no I/O', unit: 'µs' },
  noIoPost: { title: 'POST, no I/O', unit: 'µs' },
  throughput: { title: 'GET/s, 32 in flight', unit: 'req/s' },
};

export interface ColdStarts {
  readonly medianMs: Readonly<Record<string, number>>;
  readonly initMs: Readonly<Record<string, number>>;
  readonly firstInvokeMs: Readonly<Record<string, number>>;
}

/** Every variant's row, each figure with its ratio to the floor's. */
export function peerRows(
  list: readonly Variant[],
  cold: ColdStarts,
  warm: WarmResult,
  cost: FrameworkCost,
): PeerRow[] {
  const value = (id: string): Record<PeerMeasure, number> => {
    const variant = list.find((v) => v.id === id) as Variant;
    const latency = warm.latencyMs[id];
    return {
      bundleGzip: variant.bundle.gzipBytes,
      coldStart: cold.medianMs[id] ?? Number.NaN,
      init: cold.initMs[id] ?? Number.NaN,
      firstRequest: cold.firstInvokeMs[id] ?? Number.NaN,
      warmGet: percentile(latency?.GET ?? [], 50),
      warmPost: percentile(latency?.POST ?? [], 50),
      noIoGet: cost[id]?.GET ?? Number.NaN,
      noIoPost: cost[id]?.POST ?? Number.NaN,
      throughput: median(warm.throughput[id] ?? []),
    };
  };
  const floor = value(FLOOR);
  return list.map(({ id, label }) => {
    const own = value(id);
    const figures = Object.fromEntries(
      (Object.keys(PEER_MEASURES) as PeerMeasure[]).map((m) => [
        m,
        { value: own[m], ratio: own[m] / floor[m] },
      ]),
    ) as PeerRow['figures'];
    return { id, label, figures };
  });
}
