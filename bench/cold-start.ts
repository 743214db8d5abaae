/**
 * Cold start: a fresh `node` process imports a bundled handler and answers its first GET, as a
 * new Lambda container does. Timed from spawn to the process's exit right after the answer,
 * so node's own start is included; bare `node -e 0` shows how much of it that is. The
 * variants take turns, so all of them share the machine's noise alike.
 */
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { median, now } from './stats.js';

/**
 * The start of a cold-start child script: its clock, `clock()` in ms, and `t0`, read before
 * anything else runs. `process.hrtime`, not `performance.now()`: the first read of the global
 * `performance` makes Node load `perf_hooks` (1 to 4 ms here), which the child would then do
 * before its clock starts, hiding that cost from a function that reads `performance` on its
 * first request. Lambda's runtime does not read it.
 */
export const START_CLOCK = `const clock = () => Number(process.hrtime.bigint()) / 1e6;
const t0 = clock();`;

/**
 * The end of a cold-start child script that begins with `START_CLOCK`: invokes `handler` with
 * its `event` in a Lambda context whose request id is `requestId`, writes the status and the
 * times `t0` (start), `loaded` (the bundle imported) and `answered` as one JSON line, and exits.
 */
export function invokeAndReport(requestId: string): string {
  return `const context = {
  awsRequestId: '${requestId}', functionName: 'dynamo-crud', functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:dynamo-crud',
  memoryLimitInMB: '512', logGroupName: '/aws/lambda/dynamo-crud', logStreamName: 'stream',
  callbackWaitsForEmptyEventLoop: false, getRemainingTimeInMillis: () => 10000,
};
const result = await handler(event, context);
const answered = clock();
process.stdout.write(JSON.stringify({ status: result.statusCode, t0, loaded, answered }) + '\\n');
process.exit(0);
`;
}

/** Imports the bundle, invokes `handler` with one API Gateway REST (v1) GET, reports, exits. */
const CHILD = `
${START_CLOCK}
const { handler } = await import(process.argv[1]);
const loaded = clock();
const event = {
  resource: '/dynamo', path: '/dynamo', httpMethod: 'GET',
  headers: { accept: 'application/json', host: 'api.example' },
  multiValueHeaders: { accept: ['application/json'], host: ['api.example'] },
  queryStringParameters: { user_id: process.argv[2] },
  multiValueQueryStringParameters: { user_id: [process.argv[2]] },
  pathParameters: null, stageVariables: null, body: null, isBase64Encoded: false,
  requestContext: { requestId: 'cold-start', stage: 'prod', httpMethod: 'GET', path: '/prod/dynamo' },
};
${invokeAndReport('cold-start')}`;

export interface ColdStartOptions {
  /**
   * Bundles by name, e.g. `{ function: '/tmp/…/index.mjs', floor: '/tmp/…/floor/index.mjs' }`;
   * a variant may add environment variables and run on another `node` binary.
   */
  readonly bundles: Readonly<Record<string, string | ColdStartVariant>>;
  /** Fresh processes per variant. */
  readonly runs: number;
  readonly endpoint: string;
  readonly tableName: string;
  /** An item that exists, so every variant answers 200. */
  readonly userId: string;
  /** Working directory of the children: an empty folder, as Lambda's task folder. */
  readonly cwd: string;
}

/** A bundle run with more environment (e.g. tracing on), or on another Node.js (Node 22). */
export interface ColdStartVariant {
  readonly path: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly node?: string;
}

export interface ColdStartSample {
  /** Spawn to exit, ms. */
  readonly wallMs: number;
  /** Inside the child: import of the bundle (its init), and the first invocation, ms. */
  readonly initMs?: number;
  readonly firstInvokeMs?: number;
}

export interface ColdStartResult {
  readonly medianMs: Readonly<Record<string, number>>;
  /** Medians of the in-process split, per bundle. */
  readonly initMs: Readonly<Record<string, number>>;
  readonly firstInvokeMs: Readonly<Record<string, number>>;
  readonly samples: Readonly<Record<string, readonly ColdStartSample[]>>;
}

/** The variant that is plain node, no bundle: `node -e 0`. */
export const BARE_NODE = 'node -e 0';

export async function measureColdStart(options: ColdStartOptions): Promise<ColdStartResult> {
  const names = [BARE_NODE, ...Object.keys(options.bundles)];
  const samples: Record<string, ColdStartSample[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let run = 0; run < options.runs; run++) {
    // Rotate the order each round, so no variant always runs right after another.
    const order = names.map((_, i) => names[(i + run) % names.length] as string);
    for (const name of order) {
      const bundle = options.bundles[name];
      samples[name]?.push(
        bundle === undefined ? await runBareNode() : await runBundle(bundle, options),
      );
    }
  }
  const pick = (name: string, key: keyof ColdStartSample) =>
    median((samples[name] ?? []).flatMap((s) => (s[key] === undefined ? [] : [s[key]])));
  const perBundle = (key: keyof ColdStartSample) =>
    Object.fromEntries(Object.keys(options.bundles).map((n) => [n, pick(n, key)]));
  return {
    medianMs: Object.fromEntries(names.map((n) => [n, pick(n, 'wallMs')])),
    initMs: perBundle('initMs'),
    firstInvokeMs: perBundle('firstInvokeMs'),
    samples,
  };
}

function runBareNode(): Promise<ColdStartSample> {
  return run(['-e', '0'], { PATH: process.env.PATH ?? '' }, process.cwd()).then(({ wallMs }) => ({
    wallMs,
  }));
}

async function runBundle(
  given: string | ColdStartVariant,
  options: ColdStartOptions,
): Promise<ColdStartSample> {
  const variant = typeof given === 'string' ? { path: given } : given;
  const bundle = variant.path;
  const { wallMs, stdout } = await run(
    ['--input-type=module', '--eval', CHILD, pathToFileURL(bundle).href, options.userId],
    {
      // Only what Lambda and Terraform's environment block give the function.
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDLOCALBENCH',
      AWS_SECRET_ACCESS_KEY: 'local-bench-secret',
      AWS_SESSION_TOKEN: 'local-bench-token',
      AWS_LAMBDA_FUNCTION_NAME: 'dynamo-crud',
      TABLE_NAME: options.tableName,
      DYNAMODB_ENDPOINT: options.endpoint,
      EVENT_BUS_NAME: 'bench-bus',
      CURSOR_KEY: 'a-cursor-key-for-the-cold-start-bench',
      IDEMPOTENCY_TABLE_NAME: `${options.tableName}-idempotency`,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...variant.env,
    },
    options.cwd,
    variant.node,
  );
  const line = stdout.split('\n').find((l) => l.startsWith('{"status"'));
  const report = line === undefined ? undefined : (JSON.parse(line) as Record<string, number>);
  if (report?.status !== 200) {
    throw new Error(`${bundle} did not answer its first GET with 200:\n${stdout.slice(-2000)}`);
  }
  return {
    wallMs,
    initMs: (report.loaded ?? Number.NaN) - (report.t0 ?? Number.NaN),
    firstInvokeMs: (report.answered ?? Number.NaN) - (report.loaded ?? Number.NaN),
  };
}

function run(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  node: string = process.execPath,
): Promise<{ wallMs: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const start = now();
    const child = spawn(node, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const wallMs = now() - start;
      if (code === 0) resolve({ wallMs, stdout });
      else reject(new Error(`node ${args[0]} exited ${code}:\n${stdout.slice(-2000)}`));
    });
  });
}
