/**
 * The runner as users get it: packed (`npm pack -w contract-tests`, which builds it), installed
 * into an empty folder, run with npx against the API as `npm start` serves it. It passes there,
 * touches nothing it did not create and leaves nothing behind; in front of a deliberately broken
 * deployment (a proxy that changes the API's answers) it fails, naming the request.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as LocalModule from '@dynamo-crud/server/local';
import { type LocalApi, startLocal } from '@dynamo-crud/server/local';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Ran, runCommand, runOrThrow } from '../../server/test/support/commands.js';
import {
  type GeneratedCopy,
  generateServerCopy,
} from '../../server/test/support/generated-copy.js';
import { typedItemContract } from '../../server/test/support/typed-contract.js';
import { createSchemaCheck } from '../src/schemas.js';
import {
  type BreakingProxy,
  type ProxiedRequest,
  type ProxiedResponse,
  startProxy,
} from './support/proxy.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const INSTALL_TIMEOUT_MS = 180_000;
const RUN_TIMEOUT_MS = 60_000;

let work: string;
let folder: string;
let api: LocalApi;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'dynamo-crud-contract-tests-'));
  await runOrThrow(
    'npm',
    ['pack', '--workspace', 'contract-tests', '--pack-destination', work],
    ROOT,
  );
  const tarball = readdirSync(work).find((name) => name.endsWith('.tgz')) ?? '';
  folder = join(work, 'empty');
  mkdirSync(folder);
  writeFileSync(join(folder, 'package.json'), '{ "name": "empty", "private": true }\n');
  await runOrThrow(
    'npm',
    ['install', join(work, tarball), '--no-audit', '--no-fund', '--prefer-offline'],
    folder,
  );
  api = await startLocal(
    { HOST: '127.0.0.1', PORT: '0', DATA_DIR: ':memory:' },
    { writeEvent: () => {} },
  );
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await api?.close();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

/** `npx dynamo-crud-contract-tests ...args` in the folder it was installed in. */
function runner(args: readonly string[], env: Record<string, string> = {}): Promise<Ran> {
  return runCommand('npx', ['--no-install', 'dynamo-crud-contract-tests', ...args], folder, {
    env,
  });
}

const FAST = ['--rate', '500', '--quiet'];

/** openapi.yaml's example of an `Item`. */
function itemExample(): Record<string, unknown> {
  const document = parse(readFileSync(join(ROOT, 'openapi.yaml'), 'utf8')) as {
    components: { schemas: { Item: { example: Record<string, unknown> } } };
  };
  return document.components.schemas.Item.example;
}

/** A deployment (`npm start`'s, unless `target`) whose answers pass through `alter` (and are recorded). */
async function withProxy<T>(
  options: {
    target?: string;
    alter?: (r: ProxiedResponse, q: ProxiedRequest) => ProxiedResponse;
    refuse?: (q: ProxiedRequest) => Promise<ProxiedResponse | undefined>;
  },
  use: (proxy: BreakingProxy) => Promise<T>,
): Promise<T> {
  const proxy = await startProxy({ target: api.url, ...options });
  try {
    return await use(proxy);
  } finally {
    await proxy.close();
  }
}

/** The item keys a request names: its `user_id` query parameter and JSON body property. */
function keysOf(request: ProxiedRequest): unknown[] {
  const keys: unknown[] = new URL(request.url, 'http://x').searchParams.getAll('user_id');
  try {
    const body = JSON.parse(request.body) as unknown;
    if (typeof body === 'object' && body !== null && 'user_id' in body) keys.push(body.user_id);
  } catch {
    // Not JSON: names nothing.
  }
  return keys;
}

describe('installed from its tarball, against npm start', () => {
  it('holds the build, the contract and the README, and runs as a command', () => {
    const installed = join(folder, 'node_modules/@dynamo-crud/contract-tests');
    const files = readdirSync(installed, { recursive: true, encoding: 'utf8' }).sort();

    expect(files).toContain('dist/cli.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(readFileSync(join(installed, 'dist/openapi.yaml'), 'utf8')).toBe(
      readFileSync(join(ROOT, 'openapi.yaml'), 'utf8'),
    );
    expect(files).toContain('README.md');
  });

  it(
    'passes, writes JUnit XML, touches nothing it did not create and leaves nothing behind',
    async () => {
      const bystander = `bystander-${crypto.randomUUID()}`;
      // The contract's own example of an item, so that it is one whatever a team made `Item`.
      const theirs = { ...itemExample(), user_id: bystander };
      const bystanderCreated = await fetch(`${api.url}/dynamo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(theirs),
      });
      const junit = join(work, 'passing.xml');

      const { ran, requests } = await withProxy({}, async (proxy) => ({
        ran: await runner([
          '--base-url',
          proxy.url,
          '--cases',
          '30',
          '--seed',
          '7',
          '--prefix',
          'ct-e2e',
          '--junit',
          junit,
          ...FAST,
        ]),
        requests: [...proxy.requests],
      }));

      expect(ran.code, ran.stdout + ran.stderr).toBe(0);
      const runId = /keys (ct-e2e-[0-9a-f]{8})-\*/.exec(ran.stdout)?.[1] ?? '';
      expect(runId).not.toBe('');
      expect(ran.stdout).toMatch(/lifecycle\.+ 21 passed\n/);
      for (const id of ['getItem', 'createItem', 'updateItem', 'deleteItem']) {
        expect(ran.stdout).toMatch(new RegExp(`generated ${id}\\.+ 30 passed\\n`));
      }
      expect(ran.stdout).toMatch(new RegExp(`^${requests.length} requests in `, 'm'));
      expect(ran.stdout.trim().split('\n').at(-1)).toMatch(/^\d+ passed, 0 failed$/);
      // Every key it sent was its own, or one no item can have (empty, too long, not a string).
      for (const key of requests.flatMap(keysOf)) {
        if (typeof key === 'string' && key !== '' && key.length <= 512)
          expect(key.startsWith(`${runId}-`), key).toBe(true);
      }
      const bystanderNow = await fetch(`${api.url}/dynamo?user_id=${bystander}`);
      expect(bystanderNow.headers.get('etag')).toBe(bystanderCreated.headers.get('etag'));
      expect(await bystanderNow.json()).toEqual(theirs);
      const written = new Set(
        requests
          .flatMap(keysOf)
          .filter(
            (k): k is string => typeof k === 'string' && k.startsWith(runId) && k.length <= 512,
          ),
      );
      expect(written.size).toBeGreaterThan(1);
      for (const key of written) {
        expect(
          (await fetch(`${api.url}/dynamo?user_id=${encodeURIComponent(key)}`)).status,
          key,
        ).toBe(404);
      }
      const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
        readFileSync(junit, 'utf8'),
      );
      expect(xml.testsuites.failures).toBe('0');
      expect(Number(xml.testsuites.tests)).toBeGreaterThanOrEqual(13 + 5 * 30 + 5);
      expect(xml.testsuites.testsuite.map((s: { name: string }) => s.name).sort()).toEqual([
        'cleanup',
        'generated createItem',
        'generated deleteItem',
        'generated getItem',
        'generated listItems',
        'generated updateItem',
        'lifecycle',
      ]);
    },
    RUN_TIMEOUT_MS,
  );

  it('sends the same requests again for the same seed', async () => {
    const bodies = async () =>
      withProxy({}, async (proxy) => {
        const ran = await runner([
          '--base-url',
          proxy.url,
          '--cases',
          '6',
          '--seed',
          '42',
          '--prefix',
          'same',
          ...FAST,
        ]);
        expect(ran.code).toBe(0);
        // The run's random namespace aside, the requests are the same.
        return proxy.requests.map((r) =>
          `${r.method} ${r.url} ${r.body}`.replace(/same-[0-9a-f]{8}/g, 'same-*'),
        );
      });

    expect(await bodies()).toEqual(await bodies());
  });

  it('refuses before sending anything: a plan over --max-requests, or no --base-url (exit 2)', async () => {
    await withProxy({}, async (proxy) => {
      const overBudget = await runner([
        '--base-url',
        proxy.url,
        '--cases',
        '20',
        '--max-requests',
        '50',
      ]);
      const noUrl = await runner(['--cases', '2']);

      expect(overBudget.code).toBe(2);
      expect(overBudget.stderr).toContain('requests are planned, over --max-requests 50');
      expect(noUrl.code).toBe(2);
      expect(noUrl.stderr).toContain('--base-url is required');
      expect(proxy.requests).toEqual([]);
    });
  });
});

describe('installed from its tarball, against a deployment of a typed Item (README "Make it yours")', () => {
  /** The worked example's contract, served as `npm run generate` and `npm start` would. */
  const contract = typedItemContract();
  let copy: GeneratedCopy;
  let typedApi: LocalApi;

  beforeAll(async () => {
    copy = await generateServerCopy(contract);
    const { startLocal: startTyped } = await copy.import<typeof LocalModule>('local/start.ts');
    typedApi = await startTyped(
      { HOST: '127.0.0.1', PORT: '0', DATA_DIR: ':memory:' },
      { writeEvent: () => {} },
    );
  }, INSTALL_TIMEOUT_MS);
  afterAll(async () => {
    await typedApi?.close();
    copy?.remove();
  });

  it(
    'passes with --openapi: its lifecycle and generated writes are items that Item allows',
    async () => {
      const { ran, requests } = await withProxy({ target: typedApi.url }, async (proxy) => ({
        ran: await runner([
          '--base-url',
          proxy.url,
          '--openapi',
          join(copy.root, 'openapi.yaml'),
          '--cases',
          '20',
          '--seed',
          '1',
          ...FAST,
        ]),
        requests: [...proxy.requests],
      }));

      expect(ran.code, ran.stdout + ran.stderr).toBe(0);
      expect(ran.stdout).toMatch(/lifecycle\.+ 21 passed\n/);
      for (const id of ['getItem', 'createItem', 'updateItem', 'deleteItem', 'listItems']) {
        expect(ran.stdout).toMatch(new RegExp(`generated ${id}\\.+ 20 passed\\n`));
      }
      // The lifecycle's item, its update and its merge patch are the typed Item's.
      const check = createSchemaCheck(parse(contract) as object);
      const [created] = requests;
      expect(created?.method).toBe('POST');
      const item = JSON.parse(created?.body ?? '{}') as Record<string, unknown>;
      expect(check('#/components/schemas/Item', item)).toEqual([]);
      expect(Object.keys(item)).toEqual(expect.arrayContaining(['name', 'email', 'plan']));
      const update = JSON.parse(
        requests.find((q) => q.method === 'PATCH' && q.body.includes('updatedKey'))?.body ?? '{}',
      ) as { updatedKey?: string; updatedValue?: unknown };
      expect(
        check(`#/components/schemas/Item/properties/${update.updatedKey}`, update.updatedValue),
      ).toEqual([]);
      expect(
        requests.some((q) => q.headers['content-type'] === 'application/merge-patch+json'),
      ).toBe(true);
    },
    RUN_TIMEOUT_MS,
  );
});

/** A problem body, as the API would send one. */
function problem(status: number): ProxiedResponse {
  return {
    status,
    headers: { 'content-type': 'application/problem+json' },
    body: JSON.stringify({
      type: 'about:blank',
      title: 'Broken',
      status,
      detail: 'broken on purpose',
    }),
  };
}

describe('against a deliberately broken deployment: exit 1, naming the request', () => {
  it.each<[string, (r: ProxiedResponse, q: ProxiedRequest) => ProxiedResponse, RegExp[]]>([
    [
      'a wrong status (200 for a create)',
      (r, q) => (q.method === 'POST' && r.status === 201 ? { ...r, status: 200 } : r),
      [
        /^FAILED lifecycle › create the item: 201 with Location and ETag$/m,
        /✗ expected 201, got 200/,
        /request: {2}POST http:\/\/127\.0\.0\.1:\d+\/dynamo$/m,
      ],
    ],
    [
      'a missing ETag',
      (r, q) => {
        if (q.method !== 'GET' || r.status !== 200) return r;
        const { etag: _dropped, ...headers } = r.headers;
        return { ...r, headers };
      },
      [
        /^FAILED lifecycle › read it: 200, the same item and ETag$/m,
        /✗ the required header ETag is missing/,
        /request: {2}GET http:\/\/127\.0\.0\.1:\d+\/dynamo\?user_id=contract-test-[0-9a-f]{8}-lifecycle$/m,
      ],
    ],
    [
      'an ETag sent again for the item created again (versions counted from 1 again)',
      (() => {
        let first: string | undefined;
        return (r: ProxiedResponse, q: ProxiedRequest) => {
          if (q.method !== 'POST' || r.status !== 201) return r;
          first ??= r.headers.etag;
          return { ...r, headers: { ...r.headers, etag: first ?? '' } };
        };
      })(),
      [
        /^FAILED lifecycle › create it again: 201 with an ETag none of its earlier states had$/m,
        /✗ the ETag "1\.[\w-]+" was sent for the item before its delete/,
        /request: {2}POST http:\/\/127\.0\.0\.1:\d+\/dynamo$/m,
      ],
    ],
    [
      'an error body that is not a problem',
      (r) =>
        r.status >= 400
          ? {
              status: r.status,
              headers: { 'content-type': 'application/json' },
              body: '{"message":"no"}',
            }
          : r,
      [
        /✗ createItem 409: media type application\/json is not one of application\/problem\+json/,
        /request: {2}POST /,
      ],
    ],
    [
      'a 5xx',
      (r, q) => (q.method === 'DELETE' ? problem(500) : r),
      [
        /^FAILED lifecycle › delete it with the stale ETag: 412$/m,
        /✗ expected 412, got 500/,
        /✗ a server error: 500/,
        /request: {2}DELETE http:\/\/127\.0\.0\.1:\d+\/dynamo\?user_id=/m,
        /response: 500$/m,
      ],
    ],
  ])(
    '%s',
    async (_what, alter, expected) => {
      const junit = join(work, `broken-${crypto.randomUUID()}.xml`);

      const ran = await withProxy({ alter }, (proxy) =>
        runner(['--base-url', proxy.url, '--cases', '4', '--seed', '1', '--junit', junit, ...FAST]),
      );

      expect(ran.code, ran.stdout).toBe(1);
      for (const pattern of expected) expect(ran.stdout).toMatch(pattern);
      expect(ran.stdout.trim().split('\n').at(-1)).toMatch(
        /^\d+ passed, [1-9]\d* failed(, \d+ skipped)?$/,
      );
      const xml = readFileSync(junit, 'utf8');
      expect(xml).toMatch(/<failure message="[^"]+" type="ContractViolation">/);
    },
    RUN_TIMEOUT_MS,
  );
});

describe('credentials', () => {
  const CREDENTIALS = {
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    AWS_SESSION_TOKEN: 'session-token-example',
  };

  /** Recomputes the request's signature with the AWS SDK's own signer; `undefined` when it matches. */
  async function badSignature(request: ProxiedRequest): Promise<string | undefined> {
    const authorization = request.headers.authorization ?? '';
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
    if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date'))
      return `unsigned: ${authorization}`;
    const url = new URL(request.url, `http://${request.headers.host}`);
    const amzDate = request.headers['x-amz-date'] ?? '';
    const signer = new SignatureV4({
      service: 'execute-api',
      region: 'eu-west-1',
      credentials: {
        accessKeyId: CREDENTIALS.AWS_ACCESS_KEY_ID,
        secretAccessKey: CREDENTIALS.AWS_SECRET_ACCESS_KEY,
        sessionToken: CREDENTIALS.AWS_SESSION_TOKEN,
      },
      sha256: Hash.bind(null, 'sha256'),
      applyChecksum: false,
    });
    const signed = await signer.sign(
      {
        method: request.method,
        protocol: url.protocol,
        hostname: url.hostname,
        path: url.pathname,
        query: Object.fromEntries(
          [...url.searchParams.keys()].map((k) => [k, url.searchParams.getAll(k)]),
        ),
        headers: Object.fromEntries(
          signedHeaders.map((name) => [name, request.headers[name] ?? '']),
        ),
        ...(request.body === '' ? {} : { body: request.body }),
      },
      {
        signingDate: new Date(
          amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
        ),
      },
    );
    return signed.headers.authorization === authorization
      ? undefined
      : `expected ${signed.headers.authorization}`;
  }

  it.each([
    [
      'signs every request with SigV4, with credentials from the AWS chain',
      CREDENTIALS.AWS_SECRET_ACCESS_KEY,
      0,
    ],
    ['fails when the chain holds other credentials than the API takes', 'another-secret', 1],
  ])(
    '%s',
    async (_what, secret, code) => {
      const refusals: string[] = [];

      const ran = await withProxy(
        {
          refuse: async (q) => {
            const wrong = await badSignature(q);
            if (wrong === undefined) return undefined;
            refusals.push(wrong);
            return problem(403);
          },
        },
        (proxy) =>
          runner(
            [
              '--base-url',
              proxy.url,
              '--sigv4',
              '--region',
              'eu-west-1',
              '--cases',
              '4',
              '--seed',
              '3',
              ...FAST,
            ],
            {
              ...CREDENTIALS,
              AWS_SECRET_ACCESS_KEY: secret,
              // The chain stops at the environment; nothing may reach for files or instance metadata.
              AWS_CONFIG_FILE: join(work, 'none'),
              AWS_SHARED_CREDENTIALS_FILE: join(work, 'none'),
              AWS_EC2_METADATA_DISABLED: 'true',
            },
          ),
      );

      expect(ran.code, ran.stdout + ran.stderr).toBe(code);
      if (code === 0) expect(refusals).toEqual([]);
      else expect(ran.stdout).toMatch(/✗ expected 201, got 403/);
    },
    RUN_TIMEOUT_MS,
  );

  it.each([
    ['--api-key', 'x-api-key', (v: string) => v],
    ['--bearer', 'authorization', (v: string) => `Bearer ${v}`],
  ])(
    'sends %s on every request and never prints it',
    async (option, header, expected) => {
      const secret = `secret-${crypto.randomUUID()}`;

      const { ran, seen } = await withProxy(
        // A broken answer, so that requests are printed: the secret must not be among them.
        { alter: (r, q) => (q.method === 'GET' ? problem(502) : r) },
        async (proxy) => ({
          ran: await runner([
            '--base-url',
            proxy.url,
            option,
            secret,
            '--cases',
            '2',
            '--seed',
            '5',
            ...FAST,
          ]),
          seen: proxy.requests.map((q) => q.headers[header]),
        }),
      );

      expect(ran.code).toBe(1);
      expect(new Set(seen)).toEqual(new Set([expected(secret)]));
      expect(ran.stdout + ran.stderr).not.toContain(secret);
      expect(ran.stdout).toContain(`${header}: [redacted]`);
    },
    RUN_TIMEOUT_MS,
  );
});
