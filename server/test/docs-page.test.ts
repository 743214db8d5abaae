/**
 * The API reference page in headless Chromium: served by the local server at `/docs` as
 * `npm start` serves it, and written by `npm run docs` as static files. It renders every
 * operation and schema of openapi.yaml, asks nothing of any other host (it works offline), and
 * its "Try it out" creates an item on the server it came from. Screenshots are written to
 * `test-artifacts/docs/` (git-ignored) for a person to look at.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchChromium } from '../../scripts/chromium.js';
import { writeDocs } from '../../scripts/docs.js';
import { type LocalApi, startLocal } from '../src/local/start.js';
import { openApi } from './support/conformance.js';
import { REPO_ROOT } from './support/local-process.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts/docs');
const missing = chromiumMissing();
// CI installs Chromium (.ci/run): there a missing browser is a failure, never a skip.
if (missing !== undefined && process.env.CI !== undefined) throw new Error(missing);

const operationIds = Object.values(openApi.paths).flatMap((item) =>
  Object.values(item ?? {}).flatMap((op) =>
    typeof op === 'object' && op !== null && 'operationId' in op ? [String(op.operationId)] : [],
  ),
);
const schemaNames = Object.keys(openApi.components?.schemas ?? {});

describe.skipIf(missing !== undefined)(
  `the docs page in headless Chromium${missing === undefined ? '' : ` (skipped: ${missing})`}`,
  () => {
    let api: LocalApi;
    let browser: Browser;
    /** Requests the pages made to any other origin than the page's own: must stay empty. */
    const elsewhere: string[] = [];

    beforeAll(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      api = await startLocal(
        { HOST: '127.0.0.1', PORT: '0', DATA_DIR: ':memory:' },
        { writeEvent: () => {} },
      );
      browser = await launchChromium();
    });

    afterAll(async () => {
      await browser?.close();
      await api?.close();
    });

    /** A page that may reach only `origin`: anything else is recorded and refused. */
    async function pageAllowing(origin: string): Promise<Page> {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith(origin) || url.startsWith('data:')) return route.continue();
        elsewhere.push(url);
        return route.abort();
      });
      return page;
    }

    /** Every operation's block and every schema's model, once the page has rendered. */
    async function rendered(page: Page): Promise<{ operations: string[]; schemas: string[] }> {
      await page.locator('.opblock').first().waitFor();
      await page.locator('.models').waitFor();
      const operations = await page
        .locator('.opblock .opblock-summary-operation-id')
        .allTextContents();
      const schemas = await page
        .locator('.models .model-container')
        .evaluateAll((nodes) => nodes.map((n) => (n.id ?? '').replace(/^model-/, '')));
      return { operations, schemas };
    }

    it('renders every operation and schema of openapi.yaml from /docs, fetching nothing elsewhere', async () => {
      const page = await pageAllowing(api.url);

      const response = await page.goto(`${api.url}/docs`);
      const { operations, schemas } = await rendered(page);
      await page.screenshot({ path: join(ARTIFACTS, 'docs.png'), fullPage: true });

      expect(response?.status()).toBe(200);
      expect(operations.sort()).toEqual([...operationIds].sort());
      expect(schemas.sort()).toEqual([...schemaNames].sort());
      expect(await page.title()).toBe(`${openApi.info.title} reference`);
      expect(elsewhere).toEqual([]);
      await page.close();
    });

    it('creates items with "Try it out" on the server it came from, each its own request', async () => {
      const page = await pageAllowing(api.url);
      /** One create through the page, as a reader would make it; its status. */
      const tryCreate = async (item: Record<string, unknown>) => {
        await page.goto(`${api.url}/docs`);
        const operation = page.locator('#operations-items-createItem');
        await operation.locator('.opblock-summary').click();
        await operation.getByRole('button', { name: 'Try it out' }).click();
        await operation.locator('textarea.body-param__text').fill(JSON.stringify(item));
        await operation.getByRole('button', { name: 'Execute' }).click();
        const status = operation
          .locator('.live-responses-table .response .response-col_status')
          .first();
        await status.waitFor();
        await operation.screenshot({ path: join(ARTIFACTS, 'try-it-out.png') });
        return (await status.textContent())?.trim();
      };
      const first = { user_id: `docs-${crypto.randomUUID()}`, name: 'From the docs' };
      const second = { user_id: `docs-${crypto.randomUUID()}`, name: 'Again' };

      // Two creates: a key the form filled in for both (an example of the contract's) made the
      // second a 422 for a key used by another request.
      const statuses = [await tryCreate(first), await tryCreate(second)];

      expect(statuses).toEqual(['201', '201']);
      for (const item of [first, second]) {
        const stored = await fetch(`${api.url}/dynamo?user_id=${item.user_id}`);
        expect(stored.status).toBe(200);
        expect(await stored.json()).toEqual(item);
      }
      expect(elsewhere).toEqual([]);
      await page.close();
    });

    it('is the same page when written by npm run docs, for static hosting', async () => {
      const out = mkdtempSync(join(tmpdir(), 'dynamo-crud-docs-'));
      try {
        writeDocs(out);
        const page = await pageAllowing(pathToFileURL(out).href);

        await page.goto(pathToFileURL(join(out, 'index.html')).href);
        const { operations, schemas } = await rendered(page);
        const servers = await page.locator('.servers select option').allTextContents();

        expect(operations.sort()).toEqual([...operationIds].sort());
        expect(schemas.sort()).toEqual([...schemaNames].sort());
        expect(servers.map((s) => s.trim())).toEqual(
          (openApi.servers ?? []).map((s) => `${s.url} - ${s.description}`),
        );
        expect(elsewhere).toEqual([]);
        await page.close();
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  },
);
