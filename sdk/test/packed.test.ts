/**
 * The tarball users get (`npm pack -w sdk`), installed the way they install it: into an empty
 * folder (ESM, CommonJS and their types; the optional SigV4 entry), and under the example app in
 * examples/client-app, whose create → get → update with If-Match → merge → delete flow runs against the
 * local server. npm installs aws4fetch and the example's TypeScript from the registry.
 */
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand, runOrThrow } from '../../server/test/support/commands.js';
import { useLocalApi } from './support/local-api.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const INSTALL_TIMEOUT_MS = 120_000;

/** Runs a step that must work, in `cwd`, within the install time limit. */
const run = (command: string, args: readonly string[], cwd: string, env?: Record<string, string>) =>
  runOrThrow(command, args, cwd, { env, timeoutMs: INSTALL_TIMEOUT_MS });

const npmInstall = (cwd: string, ...specs: string[]) =>
  run('npm', ['install', ...specs, '--no-audit', '--no-fund', '--prefer-offline'], cwd);

const server = useLocalApi();
let work: string;
let tarball: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'dynamo-crud-packed-'));
  // prepack builds the package first: this is exactly what a release publishes.
  await run('npm', ['pack', '--workspace', 'sdk', '--pack-destination', work], ROOT);
  const packed = readdirSync(work).filter((name) => name.endsWith('.tgz'));
  expect(packed).toEqual(['dynamo-crud-sdk-0.2.0.tgz']);
  tarball = join(work, packed[0] ?? '');
}, INSTALL_TIMEOUT_MS);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('the packed SDK in an empty folder', () => {
  let folder: string;
  const installed = () => join(folder, 'node_modules/@dynamo-crud/sdk');
  const node = (file: string) =>
    run(process.execPath, [file], folder, { DYNAMO_CRUD_URL: server.url });
  /** A tsconfig for `files`, as strict as a careful consumer's, libraries' types checked too. */
  const writeConsumerConfig = (name: string, files: readonly string[]) =>
    writeFileSync(
      join(folder, name),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022', 'DOM'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          types: [],
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: false,
          noEmit: true,
        },
        files,
      }),
    );

  beforeAll(async () => {
    folder = join(work, 'empty');
    mkdirSync(folder);
    writeFileSync(join(folder, 'package.json'), '{ "name": "empty", "private": true }\n');
    await npmInstall(folder, tarball);
  }, INSTALL_TIMEOUT_MS);

  it('holds the build, the README and the package.json, and ky as its one dependency', () => {
    const manifest = JSON.parse(readFileSync(join(installed(), 'package.json'), 'utf8'));
    const files = readdirSync(installed(), { recursive: true, encoding: 'utf8' }).sort();

    expect(files).toEqual([
      'LICENSE',
      'README.md',
      'dist',
      'dist/index.cjs',
      'dist/index.cjs.map',
      'dist/index.d.cts',
      'dist/index.d.ts',
      'dist/index.js',
      'dist/index.js.map',
      'dist/sigv4.cjs',
      'dist/sigv4.cjs.map',
      'dist/sigv4.d.cts',
      'dist/sigv4.d.ts',
      'dist/sigv4.js',
      'dist/sigv4.js.map',
      'package.json',
    ]);
    expect(Object.keys(manifest.dependencies)).toEqual(['ky']);
    expect(manifest.sideEffects).toBe(false);
    expect(readdirSync(join(folder, 'node_modules'))).not.toContain('aws4fetch');
  });

  it('has a main entry that imports ky and no node: module (it runs wherever fetch does)', () => {
    for (const file of ['dist/index.js', 'dist/index.cjs']) {
      const code = readFileSync(join(installed(), file), 'utf8');
      expect(code, file).not.toMatch(/["']node:/);
      expect(code, file).not.toMatch(/\b(process|Buffer|__dirname)\b/);
      const imports = [...code.matchAll(/(?:from\s*|require\()["']([^"']+)["']/g)].map((m) => m[1]);
      expect(imports, file).toEqual(['ky']);
    }
  });

  it('works from ESM: a real call and a typed error', async () => {
    writeFileSync(
      join(folder, 'esm.mjs'),
      `import { createClient, isProblemError, ProblemError } from '@dynamo-crud/sdk';
const api = createClient({ baseUrl: process.env.DYNAMO_CRUD_URL });
const id = 'esm-' + crypto.randomUUID();
const { etag } = await api.createItem({ user_id: id });
const error = await api.getItem(id + '-missing').catch((e) => e);
if (!isProblemError(error) || !(error instanceof ProblemError)) throw error;
console.log(JSON.stringify({ etag, status: error.status }));
`,
    );

    const { stdout } = await node('esm.mjs');

    expect(JSON.parse(stdout)).toEqual({ etag: expect.stringMatching(/^"1\./), status: 404 });
  });

  it('works from CommonJS: a real call and a typed error', async () => {
    writeFileSync(
      join(folder, 'cjs.cjs'),
      `const { createClient, isProblemError, ProblemError } = require('@dynamo-crud/sdk');
const api = createClient({ baseUrl: process.env.DYNAMO_CRUD_URL });
(async () => {
  const id = 'cjs-' + crypto.randomUUID();
  const { etag } = await api.createItem({ user_id: id });
  const error = await api.getItem(id + '-missing').catch((e) => e);
  if (!isProblemError(error) || !(error instanceof ProblemError)) throw error;
  console.log(JSON.stringify({ etag, status: error.status }));
})().catch((error) => { console.error(error); process.exit(1); });
`,
    );

    const { stdout } = await node('cjs.cjs');

    expect(JSON.parse(stdout)).toEqual({ etag: expect.stringMatching(/^"1\./), status: 404 });
  });

  it('recognises an error from the other build (ESM and CJS loaded side by side)', async () => {
    writeFileSync(
      join(folder, 'dual.mjs'),
      `import { createRequire } from 'node:module';
import * as esm from '@dynamo-crud/sdk';
const cjs = createRequire(import.meta.url)('@dynamo-crud/sdk');
const error = await esm.createClient({ baseUrl: process.env.DYNAMO_CRUD_URL }).getItem('nobody').catch((e) => e);
console.log(JSON.stringify({
  sameClass: error instanceof cjs.ProblemError,
  guard: cjs.isProblemError(error),
  notNetwork: !cjs.isNetworkError(error),
}));
`,
    );

    const { stdout } = await node('dual.mjs');

    expect(JSON.parse(stdout)).toEqual({ sameClass: false, guard: true, notNetwork: true });
  });

  it('type-checks strict ESM and CommonJS consumers against the shipped declarations', async () => {
    const usage = `
const api = createClient({ baseUrl: 'http://127.0.0.1:3000', retry: { limit: 1 } });
export async function flow(): Promise<string> {
  const created: CreateItemResult = await api.createItem({ user_id: 'ada', visits: 1 });
  const updated: ItemResult = await api.updateItem(
    { user_id: 'ada', updatedKey: 'visits', updatedValue: 2 },
    { ifMatch: created },
  );
  try {
    await api.deleteItem('ada', { ifMatch: updated.etag });
  } catch (error) {
    if (isProblemError(error)) return error.problem.detail;
    if (isNetworkError(error) || isTimeoutError(error)) return error.url;
  }
  const signing: typeof fetch = createSigV4Fetch({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 's' },
  });
  return String(signing);
}
`;
    const imports = (from: string) =>
      `import { createClient, isNetworkError, isProblemError, isTimeoutError, type CreateItemResult, type ItemResult } from '${from}';\n` +
      `import { createSigV4Fetch } from '${from}/sigv4';\n`;
    writeFileSync(join(folder, 'consumer.mts'), imports('@dynamo-crud/sdk') + usage);
    writeFileSync(join(folder, 'consumer.cts'), imports('@dynamo-crud/sdk') + usage);
    writeConsumerConfig('tsconfig.json', ['consumer.mts', 'consumer.cts']);
    // The sigv4 entry's types need no aws4fetch: it is only an import of the JavaScript.
    await run(process.execPath, [TSC, '-p', 'tsconfig.json'], folder);
  });

  it("names the contract's types in a consumer's type errors as the SDK exports them", async () => {
    writeFileSync(
      join(folder, 'mistaken.mts'),
      `import { createClient, type Item, type UserId } from '@dynamo-crud/sdk';
const api = createClient({ baseUrl: 'http://127.0.0.1:3000' });
const noKey: Item = { name: 'Ada' };
const numericKey: UserId = 42;
export const created = api.createItem({ visits: 1 });
export { noKey, numericKey };
`,
    );
    writeConsumerConfig('tsconfig.mistaken.json', ['mistaken.mts']);

    const { code, stdout } = await runCommand(
      process.execPath,
      [TSC, '-p', 'tsconfig.mistaken.json'],
      folder,
    );

    expect(code).not.toBe(0);
    expect(stdout).toMatch(
      /Property 'user_id' is missing in type '\{ name: string; \}' but required in type 'Item'/,
    );
    expect(stdout).toMatch(/Type 'number' is not assignable to type 'string'/);
    // A declaration the bundler renamed (`Item$1`) would show here under that name.
    expect(stdout).not.toMatch(/\$\d/);
  });

  it(
    'loads the SigV4 entry only with its optional peer aws4fetch installed',
    async () => {
      writeFileSync(
        join(folder, 'sigv4.mjs'),
        `import { createRequire } from 'node:module';
const { createSigV4Fetch } = await import('@dynamo-crud/sdk/sigv4');
const cjs = createRequire(import.meta.url)('@dynamo-crud/sdk/sigv4');
console.log(typeof createSigV4Fetch, typeof cjs.createSigV4Fetch);
`,
      );

      await expect(node('sigv4.mjs')).rejects.toThrow(/aws4fetch/);
      await npmInstall(folder, 'aws4fetch@^1.0.20');
      const { stdout } = await node('sigv4.mjs');

      expect(stdout.trim()).toBe('function function');
    },
    INSTALL_TIMEOUT_MS,
  );
});

describe('examples/client-app on the packed SDK', () => {
  let app: string;

  beforeAll(async () => {
    app = join(work, 'client-app');
    const source = join(ROOT, 'examples/client-app');
    mkdirSync(app);
    for (const entry of ['package.json', 'tsconfig.json', 'src']) {
      cpSync(join(source, entry), join(app, entry), { recursive: true });
    }
    await npmInstall(app, tarball);
  }, INSTALL_TIMEOUT_MS);

  it('type-checks strictly, then runs create → get → update with If-Match → merge → delete', async () => {
    await run('npm', ['run', 'build'], app);
    const { stdout } = await run('npm', ['start', '--silent'], app, {
      DYNAMO_CRUD_URL: server.url,
    });

    // Every ETag of the item carries its incarnation, the same from its creation to its delete.
    const incarnation = /, ETag "1\.([\w-]{12})"\n/.exec(stdout)?.[1];
    expect(incarnation, stdout).toBeDefined();
    const lines = stdout.trim().replaceAll(`.${incarnation}"`, '.<incarnation>"').split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatch(
      /^created example-[\w-]+ at http:\/\/127\.0\.0\.1:\d+\/dynamo\?user_id=example-[\w-]+, ETag "1\.<incarnation>"$/,
    );
    expect(lines[1]).toMatch(
      /^read \{"user_id":"example-[\w-]+","name":"Ada","visits":1\}, ETag "1\.<incarnation>"$/,
    );
    expect(lines[2]).toBe('updated name to Ada Lovelace, ETag "2.<incarnation>"');
    expect(lines[3]).toBe('stale update refused: 412 Precondition failed');
    expect(lines[4]).toMatch(
      /^merged \{"user_id":"example-[\w-]+","address":\{"city":"London"\},"name":"Ada Lovelace","tags":\["math"\]\}, ETag "3\.<incarnation>"$/,
    );
    expect(lines[5]).toMatch(
      /^deleted \{"user_id":"example-[\w-]+","address":\{"city":"London"\},"name":"Ada Lovelace","tags":\["math"\]\}$/,
    );
    expect(lines[6]).toMatch(/^gone: 404 No item has user_id "example-[\w-]+"\.$/);
  });
});
