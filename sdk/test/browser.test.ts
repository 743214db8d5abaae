/**
 * The SDK in a real browser: headless Chromium (`scripts/chromium.ts`) loads a page from one
 * origin that calls the local server, started as `npm start` runs it, on another, with
 * `CORS_ALLOW_ORIGINS` listing the page's origin and `CORS_ALLOW_HEADERS` the app's own header.
 * The SDK is bundled for the browser from its source, with its SigV4 entry and `aws4fetch`.
 * Every call below crosses origins, preflight included, as it would from a web app.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type LocalApi, startLocal } from '@dynamo-crud/server/local';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchChromium } from '../../scripts/chromium.js';
import type * as Sdk from '../src/index.js';
import type * as SigV4 from '../src/sigv4.js';
import { type Received, signatureFor } from './support/sigv4.js';

type InPage = typeof Sdk & typeof SigV4;
/** An error as it crosses back from the page. */
interface SeenError {
  readonly name: string;
  readonly message: string;
  readonly guards: Readonly<Record<string, boolean>>;
  readonly written?: boolean;
  readonly status?: number;
}

const SDK_DIR = fileURLToPath(new URL('../', import.meta.url));
const REGION = 'eu-west-1';
const COGNITO_CREDENTIALS = {
  accessKeyId: 'ASIAEXAMPLECOGNITO',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'cognito-identity-session-token',
};

let pages: Server;
let pageOrigin: string;
let api: LocalApi;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const missing = chromiumMissing();
  if (missing !== undefined) throw new Error(missing);
  const bundle = await build({
    stdin: {
      contents: "export * from './src/index.ts';\nexport * from './src/sigv4.ts';\n",
      resolveDir: SDK_DIR,
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'warning',
  });
  const script = bundle.outputFiles[0]?.contents ?? new Uint8Array();
  pages = createServer((req, res) => {
    if (req.url === '/sdk.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(script);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>app</title><script type="module">
import * as sdk from "/sdk.js";
window.sdk = sdk;
// A rejection as plain data, to cross back to the test.
window.describeError = (error) => ({
  name: error?.name,
  message: String(error?.message),
  written: error?.written,
  status: error?.status,
  guards: {
    problem: sdk.isProblemError(error),
    network: sdk.isNetworkError(error),
    timeout: sdk.isTimeoutError(error),
    response: sdk.isResponseError(error),
  },
});
</script>`);
  });
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
  pageOrigin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  api = await startLocal(
    {
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: ':memory:',
      CORS_ALLOW_ORIGINS: pageOrigin,
      CORS_ALLOW_HEADERS: 'x-tenant',
    },
    { writeEvent: () => {} },
  );
  browser = await launchChromium();
  page = await browser.newPage();
  await page.goto(`${pageOrigin}/`);
  await page.waitForFunction(() => 'sdk' in window);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await new Promise<void>((resolve) => (pages ? pages.close(() => resolve()) : resolve()));
});

declare global {
  interface Window {
    sdk: InPage;
    describeError(error: unknown): SeenError;
  }
}

/** Runs `scenario` in the page (Playwright sends its source), with the API's URL and `arg`. */
function inPage<T, A>(
  scenario: (args: { apiUrl: string; arg: A }) => Promise<T>,
  arg: A,
): Promise<T> {
  // The function runs in the page: its parameter's type is the test's promise, unchecked there.
  return page.evaluate(scenario as never, { apiUrl: api.url, arg }) as Promise<T>;
}

describe('the SDK in headless Chromium, across origins', () => {
  it('works with apiKey and custom headers (x-tenant via CORS_ALLOW_HEADERS): create, read, update with ifMatch, delete', async () => {
    const userId = `browser-${randomUUID()}`;
    const sent: Array<Record<string, string>> = [];
    const onRequest = (request: { url(): string; headers(): Record<string, string> }) => {
      if (request.url().startsWith(`${api.url}/dynamo`)) sent.push(request.headers());
    };
    page.on('request', onRequest);

    const results = await inPage(async ({ apiUrl, arg }) => {
      const { sdk } = window;
      const client = sdk.createClient({
        baseUrl: apiUrl,
        apiKey: 'key-123',
        headers: { 'x-tenant': 'blue' },
      });
      const created = await client.createItem({ user_id: arg, name: 'Ada' });
      const read = await client.getItem(arg);
      const updated = await client.updateItem(
        { user_id: arg, updatedKey: 'name', updatedValue: 'Ada Lovelace' },
        { ifMatch: read },
      );
      const deleted = await client.deleteItem(arg, { ifMatch: updated });
      return { created, read, updated, deleted };
    }, userId);
    page.off('request', onRequest);

    const first = results.created.etag;
    expect(results).toEqual({
      created: {
        item: { user_id: userId, name: 'Ada' },
        etag: expect.stringMatching(/^"1\./),
        location: `${api.url}/dynamo?user_id=${encodeURIComponent(userId)}`,
      },
      read: { item: { user_id: userId, name: 'Ada' }, etag: first },
      updated: {
        item: { user_id: userId, name: 'Ada Lovelace' },
        etag: first.replace('"1.', '"2.'),
      },
      deleted: { item: { user_id: userId, name: 'Ada Lovelace' } },
    });
    expect(sent).toHaveLength(4);
    for (const headers of sent) {
      expect(headers).toMatchObject({ 'x-api-key': 'key-123', 'x-tenant': 'blue' });
    }
  });

  it('merges with a JSON Merge Patch across origins, its Idempotency-Key through the preflight, and reads Idempotent-Replayed', async () => {
    const userId = `browser-${randomUUID()}`;

    const results = await inPage(async ({ apiUrl, arg }) => {
      const { sdk } = window;
      const client = sdk.createClient({ baseUrl: apiUrl });
      const created = await client.createItem({ user_id: arg, name: 'Ada', nickname: 'A' });
      const merged = await client.mergeItem(
        { user_id: arg, name: 'Ada Lovelace', nickname: null },
        { ifMatch: created, idempotencyKey: `merge-${arg}` },
      );
      // Sent again with its key: the first answer, replayed, which the page may read.
      const replay = await fetch(`${apiUrl}/dynamo`, {
        method: 'PATCH',
        headers: {
          'content-type': 'application/merge-patch+json',
          'if-match': created.etag,
          'idempotency-key': `"merge-${arg}"`,
        },
        body: JSON.stringify({ user_id: arg, name: 'Ada Lovelace', nickname: null }),
      });
      return { created, merged, replayed: replay.headers.get('idempotent-replayed') };
    }, userId);

    expect(results).toEqual({
      created: results.created,
      merged: {
        item: { user_id: userId, name: 'Ada Lovelace' },
        etag: results.created.etag.replace('"1.', '"2.'),
      },
      replayed: 'true',
    });
  });

  it('works with a bearer token from a function, asked before each call', async () => {
    const read = await inPage(async ({ apiUrl, arg }) => {
      const { sdk } = window;
      const client = sdk.createClient({ baseUrl: apiUrl, bearerToken: async () => 'token-1' });
      const created = await client.createItem({ user_id: arg });
      return { created, read: await client.getItem(arg) };
    }, `browser-${randomUUID()}`);

    expect(read.read.etag).toBe(read.created.etag);
  });

  it('a header the API does not allow fails as a NetworkError (the preflight refuses it)', async () => {
    const error = await inPage(async ({ apiUrl }) => {
      const { sdk } = window;
      const client = sdk.createClient({
        baseUrl: apiUrl,
        headers: { 'x-other': '1' },
        retry: false,
      });
      return client.getItem('ada').then(
        () => undefined,
        (reason: unknown) => window.describeError(reason),
      );
    }, undefined);

    expect(error).toMatchObject({ name: 'NetworkError', guards: { network: true } });
  });

  it("getItem('\\uD800') is a TypeError before anything is sent, never a raw URIError", async () => {
    const error = await inPage(async ({ apiUrl }) => {
      const { sdk } = window;
      const client = sdk.createClient({ baseUrl: apiUrl });
      return client.getItem('\uD800').then(
        () => undefined,
        (reason: unknown) => window.describeError(reason),
      );
    }, undefined);

    expect(error).toMatchObject({
      name: 'TypeError',
      message:
        'Query parameter user_id must be well-formed Unicode text or a finite number; got "\\ud800"',
    });
  });

  it('a 201 whose ETag the browser cannot read is a ResponseError that says the item was written', async () => {
    const userId = `browser-${randomUUID()}`;
    // The API as it would be without Access-Control-Expose-Headers: the browser hides ETag.
    await page.route(`${api.url}/dynamo`, async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      const response = await route.fetch();
      const headers = { ...response.headers() };
      delete headers['access-control-expose-headers'];
      return route.fulfill({ response, headers });
    });

    try {
      const error = await inPage(async ({ apiUrl, arg }) => {
        const { sdk } = window;
        const client = sdk.createClient({ baseUrl: apiUrl });
        return client.createItem({ user_id: arg }).then(
          () => undefined,
          (reason: unknown) => window.describeError(reason),
        );
      }, userId);

      expect(error).toMatchObject({
        name: 'ResponseError',
        status: 201,
        written: true,
        guards: { response: true, problem: false, network: false },
      });
      expect(error?.message).toMatch(
        /answered 201 and the write happened, but its ETag header cannot be read\. .*Access-Control-Expose-Headers \(ETag, Location.*Do not send it again/,
      );
    } finally {
      await page.unroute(`${api.url}/dynamo`);
    }
    const stored = await fetch(`${api.url}/dynamo?user_id=${encodeURIComponent(userId)}`);
    expect(stored.status).toBe(200);
  });

  it('reads /openapi.yaml across origins', async () => {
    const text = await inPage(
      async ({ apiUrl }) => (await fetch(`${apiUrl}/openapi.yaml`)).text(),
      undefined,
    );

    expect(text).toMatch(/^openapi: 3\.0\.3\n/);
  });

  it('signs with SigV4 in the browser (WebCrypto), credentials from a provider as Cognito gives them', async () => {
    const userId = `browser-${randomUUID()}`;
    const created = await fetch(`${api.url}/dynamo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: userId }),
    });
    const seen: Received[] = [];
    const onRequest = async (request: {
      url(): string;
      method(): string;
      allHeaders(): Promise<Record<string, string>>;
    }) => {
      if (!request.url().startsWith(`${api.url}/dynamo`)) return;
      seen.push({
        method: request.method(),
        url: new URL(request.url()),
        headers: new Headers(await request.allHeaders()),
        body: '',
      });
    };
    page.on('request', onRequest);

    const read = await inPage(
      async ({ apiUrl, arg }) => {
        const { sdk } = window;
        // What fromCognitoIdentityPool({ identityPoolId, clientConfig: { region } }) resolves to.
        const fromCognitoIdentityPool = async () => ({
          ...arg.credentials,
          expiration: new Date(Date.now() + 3_600_000),
        });
        const client = sdk.createClient({
          baseUrl: apiUrl,
          fetch: sdk.createSigV4Fetch({ region: arg.region, credentials: fromCognitoIdentityPool }),
        });
        return client.getItem(arg.userId);
      },
      { userId, region: REGION, credentials: COGNITO_CREDENTIALS },
    );
    page.off('request', onRequest);

    expect(read).toEqual({ item: { user_id: userId }, etag: created.headers.get('etag') });
    expect(seen).toHaveLength(1);
    const [request] = seen as [Received];
    expect(request.headers.get('x-amz-security-token')).toBe(COGNITO_CREDENTIALS.sessionToken);
    expect(request.headers.get('authorization')).toMatch(
      /^AWS4-HMAC-SHA256 Credential=ASIAEXAMPLECOGNITO\/\d{8}\/eu-west-1\/execute-api\/aws4_request, /,
    );
    expect(request.headers.get('authorization')).toBe(
      await signatureFor(request, REGION, COGNITO_CREDENTIALS),
    );
  });
});
