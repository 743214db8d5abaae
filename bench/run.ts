/**
 * `npm run bench`: what the API costs, each figure beside its floor measured in the same run.
 *
 * 1. cold start: a fresh `node` loads the Lambda bundle and answers a GET, vs the floor bundle
 *    (same SDK clients, a bare `GetItem`), vs `node -e 0`;
 * 2. bundle size, raw and gzipped, vs the floor bundle;
 * 3. warm latency (p50, p99) of GET, POST, PATCH through the local HTTP server vs the same
 *    DynamoDB calls made directly (and GET vs direct plus an empty HTTP hop: the floor of any
 *    server in front of the SDK);
 * 4. throughput with 32 requests in flight, local server vs direct;
 * 5. core overhead: µs per request for routing, validation and response, store in memory, the
 *    core bundled as Lambda runs it (`core-bundled.ts`), and on Node.js 22 too when installed;
 * 6. the SDK: its min+gzip size without ky, and `getItem` (and ky alone) vs a raw `fetch`;
 * 7. listing: a page of 25 and a full listing of 10,000 items vs the same Scans made directly;
 * 8. `Idempotency-Key` and merge patch: each beside the same request without (`idempotency.ts`);
 * 9. the peers (`bench/peers/`): the same API on the frameworks users would pick instead, each
 *    first held to the contract by one conformance check, then measured beside the function
 *    and the floor: bundle, cold start (in 1's runs), warm GET and POST and throughput with the
 *    bundle's handler invoked in process, and the cost per request with no I/O.
 *
 * The DynamoDB engine (dynalite) runs in this process; the local server, the client that sends
 * the warm requests and each cold start run in processes of their own, all on 127.0.0.1.
 *
 *   npm run bench                   # prints the table, writes bench/results.json
 *   npm run bench -- --quick        # every measure with tiny counts (CI: it must not rot)
 *   npm run bench -- --out FILE     # write the JSON elsewhere
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoDbClient } from '../server/src/aws/clients.js';
import { readConfig } from '../server/src/config.js';
import { newIncarnation } from '../server/src/core/ports.js';
import { ensureTable, LOCAL_CREDENTIALS, startEngine } from '../server/src/local/dynalite.js';
import {
  createDocumentClient,
  INCARNATION_ATTRIBUTE,
  VERSION_ATTRIBUTE,
} from '../server/src/store/dynamodb.js';
import { findNode22 } from '../server/test/support/node22.js';
import { buildBundles } from './bundles.js';
import type { Command, Operation, SdkCalls, Setup } from './client-worker.js';
import { BARE_NODE, measureColdStart } from './cold-start.js';
import { coldStartVariantFigures, coldStartVariants } from './cold-start-variants.js';
import { buildCoreOverhead, measureBundledCoreOverhead } from './core-bundled.js';
import { measureIdempotency } from './idempotency.js';
import { startWorker } from './ipc.js';
import { listingFigures, measureListing } from './listing.js';
import { peerRows, startPeers, variants } from './peers/measure.js';
import { type Figure, figure, formatPeersTable, formatTable } from './report.js';
import { measureSdkSize } from './sdk-size.js';
import { median, percentile } from './stats.js';

// The AWS SDK warns once per process that Node 20 support ends; the bench runs on Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const outIndex = args.indexOf('--out');
const outFile =
  outIndex >= 0 && args[outIndex + 1] !== undefined
    ? resolve(args[outIndex + 1] as string)
    : join(ROOT, 'bench/results.json');

/** How much of each measure; `--quick` runs every one with tiny counts. */
const COUNTS = quick
  ? {
      coldRuns: 2,
      warmup: 5,
      latency: 10,
      rounds: 1,
      throughputMs: 300,
      throughputRounds: 1,
      sdkCalls: 5,
      coreIterations: 200,
      listingItems: 60,
      listingPages: 5,
      fullListings: 1,
      peerWarmup: 5,
      peerLatency: 10,
      peerRounds: 1,
      peerThroughputMs: 300,
      peerThroughputRounds: 1,
      noIoIterations: 200,
    }
  : {
      coldRuns: 31,
      warmup: 200,
      latency: 1500,
      rounds: 5,
      throughputMs: 3000,
      throughputRounds: 4,
      sdkCalls: 1000,
      coreIterations: 30_000,
      listingItems: 10_000,
      listingPages: 300,
      fullListings: 5,
      peerWarmup: 100,
      peerLatency: 600,
      peerRounds: 3,
      peerThroughputMs: 1000,
      peerThroughputRounds: 4,
      noIoIterations: 5_000,
    };
const IN_FLIGHT = 32;
const OPERATIONS: Operation[] = ['GET', 'POST', 'PATCH'];

const children = new Set<ChildProcess>();
const stopChildren = () => {
  for (const child of children) if (child.exitCode === null) child.kill();
};
process.once('exit', stopChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopChildren();
    process.exit(130);
  });
}

const benchStarted = Date.now();
/** A line on stderr, with the seconds since the bench started (to see where its time goes). */
const log = (message: string) =>
  process.stderr.write(
    `bench: ${((Date.now() - benchStarted) / 1000).toFixed(0).padStart(3)} s ${message}\n`,
  );

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'dynamo-crud-bench-'));
  const engine = await startEngine(':memory:');
  try {
    const tableName = 'bench-items';
    const client = createDynamoDbClient(
      readConfig({
        TABLE_NAME: tableName,
        AWS_REGION: 'us-east-1',
        DYNAMODB_ENDPOINT: engine.endpoint,
      }),
      LOCAL_CREDENTIALS,
    );
    await ensureTable(client, tableName);
    const db = createDocumentClient(client);
    const userIds = Array.from({ length: 20 }, (_, i) => `bench-${i}`);
    for (const userId of userIds) {
      await db.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            user_id: userId,
            name: 'Ada Lovelace',
            visits: 1,
            tags: ['a', 'b'],
            [VERSION_ATTRIBUTE]: 1,
            [INCARNATION_ATTRIBUTE]: newIncarnation(),
          },
        }),
      );
    }

    log('building the bundles');
    const bundles = await buildBundles(join(workDir, 'build'));
    const taskDir = join(workDir, 'task');
    mkdirSync(taskDir);

    const peerVariants = variants(bundles);
    log(`peers: the conformance check (${peerVariants.length - 1} variants, warm in process)`);
    const peers = await startPeers({
      variants: peerVariants,
      endpoint: engine.endpoint,
      tableName,
      db,
      userIds,
      track: (child) => children.add(child),
    });
    await peers.checkConformance();

    log(`cold start: ${COUNTS.coldRuns} fresh processes of each variant, interleaved`);
    const node22 = findNode22();
    const cold = await measureColdStart({
      bundles: {
        ...Object.fromEntries(peerVariants.map((v) => [v.id, v.bundle.path])),
        ...coldStartVariants(bundles.function.path, node22),
      },
      runs: COUNTS.coldRuns,
      endpoint: engine.endpoint,
      tableName,
      userId: userIds[0] as string,
      cwd: taskDir,
    });

    log('starting the local server (npm start) and the client process');
    const serverUrl = await startLocalServer(engine.endpoint, tableName);
    const hopUrl = await startHopServer();
    /** A client process, on this Node.js or on `execPath`. */
    const startClient = (execPath?: string) =>
      startWorker<Command>(join(ROOT, 'bench/client-worker.ts'), {
        setup: {
          endpoint: engine.endpoint,
          tableName,
          serverUrl,
          hopUrl,
          userIds,
          prefix: `bench-${randomUUID()}`,
        } satisfies Setup,
        cwd: ROOT,
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        track: (child) => children.add(child),
        execPath,
      });
    const worker = await startClient();

    log('warm latency');
    type Via = 'http' | 'direct' | 'hop';
    const latency = {} as Record<Operation, Record<Via, number[]>>;
    // The empty hop only for GET: it answers every method alike.
    const viasOf = (op: Operation): Via[] =>
      op === 'GET' ? ['http', 'direct', 'hop'] : ['http', 'direct'];
    for (const op of OPERATIONS) {
      latency[op] = { http: [], direct: [], hop: [] };
      for (const via of viasOf(op)) {
        await worker.run({ kind: 'latency', via, op, count: COUNTS.warmup });
      }
    }
    for (let round = 0; round < COUNTS.rounds; round++) {
      for (const op of OPERATIONS) {
        const count = Math.ceil(COUNTS.latency / COUNTS.rounds);
        const vias = viasOf(op);
        // A different one first each round, so that none always follows another.
        for (const via of vias.map((_, i) => vias[(i + round) % vias.length] as Via)) {
          latency[op][via].push(
            ...((await worker.run({ kind: 'latency', via, op, count })) as number[]),
          );
        }
      }
    }

    log(`throughput, ${IN_FLIGHT} in flight`);
    const throughput = { http: [] as number[], direct: [] as number[] };
    const amount = quick ? IN_FLIGHT * 2 : undefined;
    for (let round = 0; round < COUNTS.throughputRounds; round++) {
      for (const via of round % 2 === 0
        ? (['http', 'direct'] as const)
        : (['direct', 'http'] as const)) {
        const result = (await worker.run({
          kind: 'throughput',
          via,
          durationMs: COUNTS.throughputMs,
          ...(amount === undefined ? {} : { amount }),
          inFlight: IN_FLIGHT,
        })) as { perSecond: number };
        throughput[via].push(result.perSecond);
      }
    }

    log('SDK getItem and ky alone vs raw fetch');
    const sdkCalls = (await worker.run({ kind: 'sdk', count: COUNTS.sdkCalls })) as SdkCalls;
    worker.stop();
    // The same on Node.js 22 when installed: what a call costs depends on the runtime's `fetch`
    // (undici) and AbortSignal, both faster there.
    const sdkNode22 = node22 === undefined ? undefined : await startClient(node22);
    const sdkCalls22 = (await sdkNode22?.run({ kind: 'sdk', count: COUNTS.sdkCalls })) as
      | SdkCalls
      | undefined;
    sdkNode22?.stop();

    log('peers: warm GET and POST, throughput, cost with no I/O, each in its own process');
    const warm = await peers.measure({
      warmup: COUNTS.peerWarmup,
      latency: COUNTS.peerLatency,
      rounds: COUNTS.peerRounds,
      throughputMs: COUNTS.peerThroughputMs,
      throughputRounds: COUNTS.peerThroughputRounds,
      throughputAmount: amount,
      inFlight: IN_FLIGHT,
      noIo: COUNTS.noIoIterations,
    });
    await peers.stop();
    const peerTable = peerRows(peerVariants, cold, warm);

    log(`listing: a page of 25, and all of ${COUNTS.listingItems} items`);
    const listing = await measureListing({
      client,
      endpoint: engine.endpoint,
      items: COUNTS.listingItems,
      pages: COUNTS.listingPages,
      fullListings: COUNTS.fullListings,
      startServer: (table) => startLocalServer(engine.endpoint, table),
    });

    log('core overhead, store in memory, bundled as Lambda runs it');
    const coreBundle = await buildCoreOverhead(join(workDir, 'build', 'core'));
    const core = await measureBundledCoreOverhead(
      coreBundle,
      process.execPath,
      COUNTS.coreIterations,
    );
    const core22 =
      node22 === undefined
        ? undefined
        : await measureBundledCoreOverhead(coreBundle, node22, COUNTS.coreIterations);
    log('SDK size');
    const sdkSize = await measureSdkSize();
    log('Idempotency-Key and merge patch, each beside the same request without');
    const writes = await measureIdempotency({
      bundle: bundles.function,
      client,
      endpoint: engine.endpoint,
      tableName,
      coldRuns: COUNTS.coldRuns,
      requests: COUNTS.latency,
      cwd: taskDir,
    });

    const figures: Figure[] = [
      figure(
        'coldStart.function',
        `cold start, median of ${COUNTS.coldRuns}`,
        'ms',
        cold.medianMs.function ?? Number.NaN,
        'floor bundle',
        cold.medianMs.floor ?? Number.NaN,
        { on: 'ratio', op: '<=', value: 1.2 },
      ),
      figure(
        'coldStart.bareNode',
        'cold start vs bare node',
        'ms',
        cold.medianMs.function ?? Number.NaN,
        BARE_NODE,
        cold.medianMs[BARE_NODE] ?? Number.NaN,
      ),
      figure(
        'coldStart.floorVsBareNode',
        'cold start of the floor vs bare node',
        'ms',
        cold.medianMs.floor ?? Number.NaN,
        BARE_NODE,
        cold.medianMs[BARE_NODE] ?? Number.NaN,
      ),
      ...coldStartVariantFigures(cold, COUNTS.coldRuns, node22),
      figure(
        'coldStart.init',
        'cold start: import (init)',
        'ms',
        cold.initMs.function ?? Number.NaN,
        'floor bundle',
        cold.initMs.floor ?? Number.NaN,
      ),
      figure(
        'coldStart.firstInvoke',
        'cold start: first GET',
        'ms',
        cold.firstInvokeMs.function ?? Number.NaN,
        'floor bundle',
        cold.firstInvokeMs.floor ?? Number.NaN,
      ),
      figure(
        'bundle.raw',
        'bundle size',
        'B',
        bundles.function.bytes,
        'floor bundle',
        bundles.floor.bytes,
        { on: 'ratio', op: '<=', value: 1.25 },
      ),
      figure(
        'bundle.gzip',
        'bundle size, gzip',
        'B',
        bundles.function.gzipBytes,
        'floor bundle',
        bundles.floor.gzipBytes,
        { on: 'ratio', op: '<=', value: 1.25 },
      ),
      ...OPERATIONS.flatMap((op) =>
        ([50, 99] as const).map((p) =>
          figure(
            `latency.${op}.p${p}`,
            `warm ${op} p${p}`,
            'ms',
            percentile(latency[op].http, p),
            'direct SDK',
            percentile(latency[op].direct, p),
            op === 'GET' && p === 50 ? { on: 'ratio', op: '<=', value: 1.5 } : undefined,
          ),
        ),
      ),
      figure(
        'latency.GET.p50.withHop',
        'warm GET p50 vs direct + empty HTTP hop',
        'ms',
        percentile(latency.GET.http, 50),
        'direct + hop',
        percentile(latency.GET.direct, 50) + percentile(latency.GET.hop, 50),
      ),
      figure(
        'throughput.GET',
        `throughput, ${IN_FLIGHT} in flight`,
        'req/s',
        median(throughput.http),
        'direct SDK',
        median(throughput.direct),
        { on: 'ratio', op: '>=', value: 0.7 },
      ),
      ...OPERATIONS.map((op) =>
        figure(
          `core.${op}`,
          `core overhead ${op}`,
          'µs',
          core.coreUs[op],
          'store + JSON only',
          core.baselineUs[op],
          { on: 'ours', op: '<=', value: 30 },
        ),
      ),
      ...(core22 === undefined
        ? []
        : OPERATIONS.map((op) =>
            figure(
              `core.${op}.node22`,
              `core overhead ${op} on Node.js 22`,
              'µs',
              core22.coreUs[op],
              'store + JSON only',
              core22.baselineUs[op],
              { on: 'ours', op: '<=', value: 30 },
            ),
          )),
      figure(
        'sdk.size',
        'SDK min+gzip, no ky',
        'B',
        sdkSize.sdk.gzipBytes,
        'generated ky client',
        sdkSize.generated.gzipBytes,
        { on: 'ours', op: '<=', value: 5 * 1024 },
      ),
      figure(
        'sdk.getItem',
        'SDK getItem, median',
        'ms',
        median(sdkCalls.sdk),
        'raw fetch',
        median(sdkCalls.raw),
        { on: 'ratio', op: '<=', value: 1.1 },
      ),
      figure(
        'sdk.kyGet',
        'ky alone, GET, median',
        'ms',
        median(sdkCalls.ky),
        'raw fetch',
        median(sdkCalls.raw),
      ),
      ...(sdkCalls22 === undefined
        ? []
        : [
            figure(
              'sdk.getItem.node22',
              'SDK getItem on Node.js 22, median',
              'ms',
              median(sdkCalls22.sdk),
              'raw fetch',
              median(sdkCalls22.raw),
              { on: 'ratio', op: '<=', value: 1.1 },
            ),
            figure(
              'sdk.kyGet.node22',
              'ky alone, GET, on Node.js 22, median',
              'ms',
              median(sdkCalls22.ky),
              'raw fetch',
              median(sdkCalls22.raw),
            ),
          ]),
      ...writes,
      ...listingFigures(listing),
    ];

    const results = {
      date: new Date().toISOString(),
      command: `npm run bench${quick ? ' -- --quick' : ''}`,
      quick,
      node: process.version,
      cpus: cpus().length,
      seconds: (Date.now() - benchStarted) / 1000,
      figures,
      peers: peerTable,
      details: {
        coldStartMs: cold.samples,
        bundleComposition: bundles.composition.slice(0, 15),
        bundles: { function: bundles.function, floor: bundles.floor },
        latencyMs: Object.fromEntries(
          OPERATIONS.map((op) => [
            op,
            {
              http: {
                p50: percentile(latency[op].http, 50),
                p99: percentile(latency[op].http, 99),
                n: latency[op].http.length,
              },
              direct: {
                p50: percentile(latency[op].direct, 50),
                p99: percentile(latency[op].direct, 99),
                n: latency[op].direct.length,
              },
              ...(latency[op].hop.length === 0
                ? {}
                : {
                    hop: {
                      p50: percentile(latency[op].hop, 50),
                      p99: percentile(latency[op].hop, 99),
                    },
                  }),
            },
          ]),
        ),
        throughputPerSecond: throughput,
        peers: {
          bundles: Object.fromEntries(peerVariants.map((v) => [v.id, v.bundle])),
          latencyMs: Object.fromEntries(
            Object.entries(warm.latencyMs).map(([id, ops]) => [
              id,
              Object.fromEntries(
                Object.entries(ops).map(([op, samples]) => [
                  op,
                  { p50: percentile(samples, 50), p99: percentile(samples, 99), n: samples.length },
                ]),
              ),
            ]),
          ),
          throughputPerSecond: warm.throughput,
          noIoUs: warm.noIoUs,
        },
        core,
        ...(core22 === undefined ? {} : { coreNode22: core22 }),
        sdkSize,
        listingMs: listing,
        sdkCallMs: callFigures(sdkCalls),
        ...(sdkCalls22 === undefined ? {} : { sdkCallMsNode22: callFigures(sdkCalls22) }),
      },
    };
    mkdirSync(dirname(outFile), { recursive: true });
    writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);

    console.log(formatTable(figures));
    console.log(
      `\nPeers: each figure and its ratio to the floor's\n${formatPeersTable(peerTable)}`,
    );
    console.log(
      `\n${results.command}: node ${process.version}, ${results.cpus} cores, ${results.seconds.toFixed(0)} s; ` +
        `JSON in ${relative(process.cwd(), outFile)}`,
    );
    const lazy = bundles.function.lazy;
    console.log(
      `function bundle: the cold start loads ${bundles.function.startFiles} files ` +
        `(entry ${(bundles.function.entryBytes / 1024).toFixed(0)} KiB); not loaded at start, ` +
        `${lazy.length} lazy chunks, ${(lazy.reduce((n, c) => n + c.bytes, 0) / 1024).toFixed(0)} KiB: ` +
        lazy
          .filter((c) => c.from !== 'shared')
          .map((c) => `${c.from} ${(c.bytes / 1024).toFixed(0)} KiB`)
          .join(', '),
    );
    console.log(
      `largest in the function bundle (at start): ${bundles.composition
        .slice(0, 6)
        .map((c) => `${c.input} ${(c.bytes / 1024).toFixed(0)} KiB`)
        .join(', ')}`,
    );
    client.destroy();
  } finally {
    stopChildren();
    await engine.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** The empty hop: a `node:http` server in its own process that answers every request at once. */
/** p50 and p99 of each variant of the SDK measure. */
function callFigures(calls: SdkCalls) {
  return Object.fromEntries(
    Object.entries(calls).map(([name, samples]) => [
      name,
      { p50: median(samples), p99: percentile(samples, 99) },
    ]),
  );
}

function startHopServer(): Promise<string> {
  const code = `
    const item = JSON.stringify({ user_id: 'bench-0', name: 'Ada Lovelace', visits: 1, tags: ['a', 'b'] });
    const server = require('node:http').createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', etag: '"1"' });
        res.end(item);
      });
    });
    server.listen(0, '127.0.0.1', () => console.log('http://127.0.0.1:' + server.address().port));
  `;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`the hop server exited (${code})`)));
  });
}

/** `npm start`'s own code, in its own process, on the bench's engine and a free port. */
function startLocalServer(endpoint: string, tableName: string): Promise<string> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'server/src/local/main.ts')],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        DYNAMODB_ENDPOINT: endpoint,
        TABLE_NAME: tableName,
        HOST: '127.0.0.1',
        PORT: '0',
        POWERTOOLS_LOG_LEVEL: 'WARN',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  return new Promise((resolve, reject) => {
    let printed = '';
    const onData = (chunk: Buffer) => {
      printed += chunk.toString();
      const url = /listening on (http:\/\/\S+)\/dynamo/.exec(printed)?.[1];
      if (url !== undefined) {
        // From here on its output (one JSON line per event) is read and dropped.
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve(url);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
    });
    child.once('exit', (code) =>
      reject(new Error(`the local server exited (${code}):\n${printed}`)),
    );
  });
}

main().catch((error: unknown) => {
  console.error('bench failed:', error);
  stopChildren();
  process.exit(1);
});
