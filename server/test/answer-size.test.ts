/**
 * How large an answer can be, through every transport on a real engine: numbers spelled short
 * whatever spelling they came in, the largest answer one item of 400 KB can make within what a
 * Lambda can return, and listing pages cut before they grow past it.
 *
 * Sizes are measured as the Lambda proxy result carries the answer (the body written as a JSON
 * string inside the result, with its headers), which is what Lambda's 6 MB limit applies to.
 */
import { type AttributeValue, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAMBDA_RESPONSE_LIMIT } from '../src/core/answer.js';
import { MAX_PAGE_BYTES } from '../src/core/listing.js';
import {
  createDocumentClient,
  createDynamoDbStore,
  VERSION_ATTRIBUTE,
} from '../src/store/dynamodb.js';
import { type CheckedResponse, checked } from './support/conformance.js';
import { createTestClient, type TestTable, useTable } from './support/engine.js';
import type { SeenResponse } from './support/request.js';
import { createTestApp, type Reached, reach, TRANSPORTS } from './support/transports.js';

/** DynamoDB's largest item: 400 KB ("Service, account, and table quotas in Amazon DynamoDB"). */
const MAX_ITEM_BYTES = 400 * 1024;

/** The bytes of `response` as a Lambda proxy result (`adapters/lambda.ts`'s shape) carries it. */
function carried(response: SeenResponse): number {
  const { status: statusCode, headers, body } = response;
  return Buffer.byteLength(JSON.stringify({ statusCode, headers, body, isBase64Encoded: false }));
}

/**
 * The API on `table` through each transport, with bodies up to 400 KB, and a client that waits
 * for as long as the embedded engine takes over items of 100,000 attributes or elements.
 */
function useApis(table: TestTable): Map<string, Reached> {
  const apis = new Map<string, Reached>();
  beforeAll(async () => {
    const client = createTestClient(table.endpoint, { DYNAMODB_TIMEOUT_MS: '60000' });
    const store = createDynamoDbStore(createDocumentClient(client), table.tableName);
    const app = createTestApp(store, { maxBodyBytes: MAX_ITEM_BYTES });
    for (const transport of TRANSPORTS) apis.set(transport, await reach(app, transport));
  });
  afterAll(async () => {
    for (const api of apis.values()) await api.close();
  });
  return apis;
}

const json = { 'content-type': 'application/json' };
const listPage = (api: Reached, query: Record<string, string>) =>
  checked('listItems', api.send({ method: 'GET', path: '/dynamo/items', query }));

describe('numbers in exponent form', () => {
  const table = useTable();
  const apis = useApis(table);

  it.each(TRANSPORTS)(
    'answers 65,000 × 1e125 in one byte more each than sent, not 8 MB (%s)',
    async (transport) => {
      const api = apis.get(transport) as Reached;
      const userId = `amp-${transport}`;
      const sent = `{"user_id":${JSON.stringify(userId)},"n":[${Array(65_000).fill('1e125').join(',')}]}`;
      const answered = `{"user_id":${JSON.stringify(userId)},"n":[${Array(65_000).fill('1e+125').join(',')}]}`;

      const created = await api.send({ method: 'POST', headers: json, body: sent });
      const read = await api.send({ method: 'GET', query: { user_id: userId } });
      const page = await listPage(api, { limit: '100' });
      const deleted = await api.send({ method: 'DELETE', query: { user_id: userId } });

      expect(created.status, created.body.slice(0, 300)).toBe(201);
      expect(Buffer.byteLength(sent)).toBe(390_023 + userId.length - 3);
      expect(created.body).toBe(answered);
      expect(Buffer.byteLength(created.body)).toBe(Buffer.byteLength(sent) + 65_000);
      expect(read.body).toBe(answered);
      expect(page.body).toBe(
        `{"items":[{"etag":${JSON.stringify(created.headers.etag)},"item":${answered}}]}`,
      );
      expect(deleted.body).toBe(answered);
      for (const answer of [created, read, page, deleted]) {
        expect(carried(answer)).toBeLessThan(LAMBDA_RESPONSE_LIMIT);
      }
    },
    120_000,
  );
});

describe('the largest answer an item of 400 KB makes', () => {
  const table = useTable();
  const apis = useApis(table);

  /**
   * The item whose answer is the largest for its size: attributes named by control characters
   * (each six bytes in JSON, `\u0001`, and seven inside a Lambda result), the shortest names
   * first, each an empty string (no bytes to DynamoDB, whose size of an item is its names' and
   * values' bytes), up to 400 KB.
   */
  function worstItem(userId: string): Record<string, AttributeValue> {
    const item: Record<string, AttributeValue> = { user_id: { S: userId } };
    let size = 'user_id'.length + userId.length;
    for (let length = 1; ; length++) {
      for (let n = 0; n < 32 ** length; n++) {
        if (size + length > MAX_ITEM_BYTES) return item;
        let name = '';
        for (let i = 0, rest = n; i < length; i++, rest = Math.floor(rest / 32)) {
          name += String.fromCharCode(rest % 32);
        }
        item[name] = { S: '' };
        size += length;
      }
    }
  }

  it('fits what a Lambda returns, read through every transport and listed', async () => {
    const client = createTestClient(table.endpoint, { DYNAMODB_TIMEOUT_MS: '60000' });
    const item = worstItem('worst');
    await client.send(new PutItemCommand({ TableName: table.tableName, Item: item }));
    client.destroy();

    // The engine takes seconds to read such an item: a page through one transport, as the
    // pages' own bound is tested on every transport below.
    const page = await listPage(apis.get('Lambda REST API (v1)') as Reached, {});
    for (const transport of TRANSPORTS) {
      const read = await (apis.get(transport) as Reached).send({
        method: 'GET',
        query: { user_id: 'worst' },
      });

      expect(read.status, transport).toBe(200);
      expect(Object.keys(JSON.parse(read.body))).toHaveLength(Object.keys(item).length);
      // Over nine bytes a stored byte, and still a third under the limit (README, "How large
      // an answer can be").
      expect(carried(read), transport).toBeGreaterThan(9 * MAX_ITEM_BYTES);
      expect(carried(read), transport).toBeLessThan(LAMBDA_RESPONSE_LIMIT);
    }
    expect(page.status).toBe(200);
    expect(carried(page)).toBeLessThan(LAMBDA_RESPONSE_LIMIT);
  }, 180_000);
});

/** Follows cursors from the first page, with `limit=100`. */
async function listAll(api: Reached): Promise<CheckedResponse[]> {
  const pages: CheckedResponse[] = [];
  let cursor: string | undefined;
  do {
    const page = await listPage(api, { limit: '100', ...(cursor === undefined ? {} : { cursor }) });
    expect(page.status, page.body.slice(0, 300)).toBe(200);
    pages.push(page);
    cursor = (page.json as { cursor?: string }).cursor;
  } while (cursor !== undefined);
  return pages;
}

const idsOf = (page: CheckedResponse) =>
  (page.json as { items: Array<{ item: { user_id: string } }> }).items.map((e) => e.item.user_id);

describe('listing pages of items that fill 5 MiB', () => {
  const table = useTable();
  const apis = useApis(table);

  it('holds as many as fit: 15 of 360 KB are pages of 14 and 1', async () => {
    const ids = Array.from({ length: 15 }, (_, i) => `large-${String(i).padStart(2, '0')}`);
    for (const user_id of ids) {
      await table.documentClient.send(
        new PutCommand({
          TableName: table.tableName,
          Item: { user_id, s: 'x'.repeat(360 * 1024), [VERSION_ATTRIBUTE]: 1 },
        }),
      );
    }

    for (const transport of TRANSPORTS) {
      const pages = await listAll(apis.get(transport) as Reached);

      expect(
        pages.map((p) => idsOf(p).length),
        transport,
      ).toEqual([14, 1]);
      expect(pages.flatMap(idsOf).sort(), transport).toEqual(ids);
      for (const page of pages) expect(carried(page)).toBeLessThan(MAX_PAGE_BYTES + 8192);
    }
  }, 180_000);
});

describe('listing pages of items each past half of 5 MiB', () => {
  const table = useTable();
  const apis = useApis(table);

  it('holds one at least, however large its answer', async () => {
    const ids = ['control-0', 'control-1', 'control-2'];
    const client = createTestClient(table.endpoint, { DYNAMODB_TIMEOUT_MS: '60000' });
    for (const user_id of ids) {
      // 400 KB of control characters: 2.8 MB each in a Lambda result, two are past 5 MiB.
      await client.send(
        new PutItemCommand({
          TableName: table.tableName,
          Item: { user_id: { S: user_id }, s: { S: '\u0001'.repeat(MAX_ITEM_BYTES - 20) } },
        }),
      );
    }
    client.destroy();

    for (const transport of TRANSPORTS) {
      const pages = await listAll(apis.get(transport) as Reached);

      expect(
        pages.map((p) => idsOf(p).length),
        transport,
      ).toEqual([1, 1, 1]);
      expect(pages.flatMap(idsOf).sort(), transport).toEqual(ids);
      for (const page of pages) {
        expect(carried(page)).toBeGreaterThan(7 * (MAX_ITEM_BYTES - 20));
        expect(carried(page)).toBeLessThan(LAMBDA_RESPONSE_LIMIT);
      }
    }
  }, 180_000);
});
