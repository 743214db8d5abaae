/**
 * The peers beside the function and the floor, in the bench's run. Each variant is warm in a
 * process of its own (`handler-worker.ts`): its bundle on the bench's engine, its `PutEvents`
 * answered by the tests' fake EventBridge (a loopback server here), and its handler from
 * source on a store in memory. First every variant but the floor passes the conformance check
 * (`conformance.ts`); then, after the bench's shared cold start: warm GET and POST latency,
 * throughput with requests in flight, and the cost per request with no I/O, the variants
 * taking turns so they share the machine's noise. A process each, as a Lambda container has:
 * in one process the variants would share the JIT's feedback on the code they share (the
 * operations, the store, the logger), and slow each other down by turns.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type AwsFakeServer,
  createAwsFakes,
  startAwsFakeServer,
} from '../../server/test/support/aws-fakes.js';
import { lambdaEnvironment } from '../../server/test/support/lambda-events.js';
import type { TestRequest } from '../../server/test/support/request.js';
import type { Bundle } from '../bundles.js';
import { startWorker, type Worker } from '../ipc.js';
import { median, percentile } from '../stats.js';
import { checkConformance } from './conformance.js';
import type {
  Invocation,
  Source,
  WarmOperation,
  WorkerCommand,
  WorkerSetup,
} from './handler-worker.js';
import { PEERS } from './variants.js';

/** The floor first: every ratio is to it. */
export const FLOOR = 'floor';

export interface Variant {
  readonly id: string;
  readonly label: string;
  readonly bundle: Bundle;
  /** Its `CreateHandler`, from source (for the cost with no I/O). */
  readonly source: Source;
}

const BASELINES = new URL('./baselines.ts', import.meta.url).href;

/** The floor, the function and every peer, with their bundles. */
export function variants(bundles: {
  readonly floor: Bundle;
  readonly function: Bundle;
  readonly peers: Readonly<Record<string, Bundle>>;
}): Variant[] {
  return [
    {
      id: FLOOR,
      label: 'floor',
      bundle: bundles.floor,
      source: { module: BASELINES, create: 'createFloorHandler' },
    },
    {
      id: 'function',
      label: 'function',
      bundle: bundles.function,
      source: { module: BASELINES, create: 'createFunctionHandler' },
    },
    ...PEERS.map((peer) => ({
      id: peer.id,
      label: peer.label,
      bundle: bundles.peers[peer.id] as Bundle,
      source: { module: peer.module.href, create: peer.create },
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
  /** Requests of each operation with no I/O, after as many to warm up. */
  readonly noIo: number;
}

export interface WarmResult {
  /** ms per request, by variant and operation: every sample. */
  readonly latencyMs: Readonly<Record<string, Record<WarmOperation, number[]>>>;
  /** Requests per second, by variant: one per round. */
  readonly throughput: Readonly<Record<string, number[]>>;
  /** µs per request with no I/O, by variant and operation: the median batch's. */
  readonly noIoUs: Readonly<Record<string, Record<WarmOperation, number>>>;
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
          source: variant.source,
          userIds: setup.userIds,
          prefix: `warm-${variant.id}`,
        } satisfies WorkerSetup,
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
      const noIoUs = Object.fromEntries(
        measured.map((id) => [id, { GET: Number.NaN, POST: Number.NaN }]),
      );
      const batches = Object.fromEntries(
        measured.map((id) => [id, { GET: [] as number[], POST: [] as number[] }]),
      );
      for (const id of measured) {
        for (const op of ops) await worker(id).run({ kind: 'noIo', op, count: counts.noIo });
      }
      const batchSize = Math.max(1, Math.ceil(counts.noIo / BATCHES));
      for (let b = 0; b < BATCHES; b++) {
        for (const id of turns(measured, b)) {
          for (const op of ops) {
            const us = (await worker(id).run({ kind: 'noIo', op, count: batchSize })) as number;
            batches[id]?.[op].push(us);
          }
        }
      }
      for (const id of measured) {
        for (const op of ops)
          (noIoUs[id] as Record<WarmOperation, number>)[op] = median(batches[id]?.[op] ?? []);
      }
      return { latencyMs, throughput, noIoUs };
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

/** Batches of the cost with no I/O, the variants taking turns: the median one's is the figure. */
const BATCHES = 10;

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
export function peerRows(list: readonly Variant[], cold: ColdStarts, warm: WarmResult): PeerRow[] {
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
      noIoGet: warm.noIoUs[id]?.GET ?? Number.NaN,
      noIoPost: warm.noIoUs[id]?.POST ?? Number.NaN,
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
