/**
 * Listing items (`GET /dynamo/items`, `listItems`) through every transport on a real engine:
 * every item exactly once over a full listing, whatever the page size; pages stable under
 * concurrent writes in the sense a DynamoDB Scan is; cursors that cannot be forged, cut or
 * carried over from another deployment; every answer checked against openapi.yaml.
 */
import { randomUUID } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createCursorCodec } from '../src/core/cursor.js';
import { INCARNATION_ATTRIBUTE, VERSION_ATTRIBUTE } from '../src/store/dynamodb.js';
import { type CheckedResponse, checked } from './support/conformance.js';
import { type TestTable, useTable } from './support/engine.js';
import { type Api, TRANSPORTS, useApi } from './support/transports.js';

interface Page {
  readonly items: Array<{ item: { user_id: string; [key: string]: unknown }; etag: string }>;
  readonly cursor?: string;
}

const list = (api: Api, query: Record<string, string> = {}) =>
  checked('listItems', api.send({ method: 'GET', path: '/dynamo/items', query }));

/** Follows cursors to the end; every page checked as it comes. */
async function listAll(api: Api, limit?: number): Promise<{ pages: Page[]; ids: string[] }> {
  const pages: Page[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < 10_000; n++) {
    const response = await list(api, {
      ...(limit === undefined ? {} : { limit: String(limit) }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    expect(response.status, response.body).toBe(200);
    const page = response.json as unknown as Page;
    expect(page.items.length).toBeLessThanOrEqual(limit ?? 25);
    expect(response.headers.link === undefined).toBe(page.cursor === undefined);
    if (page.cursor !== undefined) {
      expect(response.headers.link).toBe(
        `<?limit=${limit ?? 25}&cursor=${encodeURIComponent(page.cursor)}>; rel="next"`,
      );
    }
    pages.push(page);
    cursor = page.cursor;
    if (cursor === undefined)
      return { pages, ids: pages.flatMap((p) => p.items.map((i) => i.item.user_id)) };
  }
  throw new Error('no last page within 10,000 pages');
}

/** `count` items written straight into the table, as the API stores them (version 1). */
/** The incarnation of every seeded item. */
const SEEDED = 'seeded';

async function seed(table: TestTable, count: number, prefix: string): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`);
  for (let i = 0; i < ids.length; i += 50) {
    await Promise.all(
      ids.slice(i, i + 50).map((user_id) =>
        table.documentClient.send(
          new PutCommand({
            TableName: table.tableName,
            Item: { user_id, n: 1, [VERSION_ATTRIBUTE]: 1, [INCARNATION_ATTRIBUTE]: SEEDED },
          }),
        ),
      ),
    );
  }
  return ids;
}

const sorted = (ids: readonly string[]) => [...ids].sort();

describe.each(TRANSPORTS)('listing through the %s', (transport) => {
  describe.each([0, 1, 25, 26, 1000])('a table of %i items', (count) => {
    const table = useTable();
    const api = useApi(transport, table);

    it.each([
      { limit: undefined, shown: 'left out (the default, 25)' },
      { limit: 1, shown: '1' },
      { limit: 25, shown: '25' },
      { limit: 100, shown: '100' },
    ])('lists each exactly once with limit $shown', async ({ limit }) => {
      const ids = await seed(table, count, `list-${limit}`);
      const { pages, ids: listed } = await listAll(api, limit);

      const mine = listed.filter((id) => id.startsWith(`list-${limit}-`));
      expect(sorted(mine)).toEqual(ids);
      expect(new Set(listed).size, 'no item twice').toBe(listed.length);
      expect(pages.at(-1)?.cursor, 'the last page has no cursor').toBeUndefined();
      // Items are read as a GET reads them: no server metadata, the validator as an ETag.
      for (const { item, etag } of pages.flatMap((p) => p.items)) {
        expect(Object.keys(item)).not.toContain(VERSION_ATTRIBUTE);
        expect(Object.keys(item)).not.toContain(INCARNATION_ATTRIBUTE);
        expect(etag).toBe(`"1.${SEEDED}"`);
      }
    });
  });

  describe('items large enough that DynamoDB stops a Scan at 1 MB', () => {
    const table = useTable();
    const api = useApi(transport, table, { maxBodyBytes: 400 * 1024 });
    // Keeps a minute free before the deadline for another Scan: on Lambda (10 s left in these
    // tests) there is never time for one; `npm start` has no deadline.
    const hurried = useApi(transport, table, { readReserveMs: 60_000 });
    const userIds = ['large-a', 'large-b', 'large-c'];

    it('lists three of 360 KB on one page, with no cursor to an empty page', async () => {
      for (const user_id of userIds) {
        const created = await api.send({
          method: 'POST',
          json: { user_id, s: 'x'.repeat(360 * 1024) },
        });
        expect(created.status, created.body).toBe(201);
      }

      const response = await list(api, { limit: '100' });

      expect(response.status, response.body).toBe(200);
      const page = response.json as unknown as Page;
      expect(sorted(page.items.map((i) => i.item.user_id))).toEqual(userIds);
      expect(page.cursor).toBeUndefined();
      expect(response.headers.link).toBeUndefined();
    });

    it('without time for another Scan, ends the page where the Scan stopped, with a cursor', async () => {
      // A fourth, so that every engine stops the first Scan before the end (DynamoDB Local
      // returns the item that crosses 1 MB, and the end of the table with it when it is last).
      const created = await api.send({
        method: 'POST',
        json: { user_id: 'large-d', s: 'x'.repeat(360 * 1024) },
      });
      expect(created.status, created.body).toBe(201);

      const { pages, ids } = await listAll(hurried, 100);

      expect(sorted(ids)).toEqual([...userIds, 'large-d']);
      expect(pages.length).toBe(transport === 'local HTTP server' ? 1 : 2);
    });
  });

  describe('under concurrent writes', () => {
    const table = useTable();
    const api = useApi(transport, table);

    it('misses no item that existed throughout and shows none twice', async () => {
      const stable = await seed(table, 300, 'stable');
      const volatile = await seed(table, 100, 'volatile');
      const created: string[] = [];

      // Act: a listing, ten at a time, while items are created and deleted.
      const listing = listAll(api, 10);
      const writers = (async () => {
        for (let i = 0; i < 100; i++) {
          const user_id = `new-${i}-${randomUUID()}`;
          created.push(user_id);
          await api.send({ method: 'POST', json: { user_id } });
          await api.send({ method: 'DELETE', query: { user_id: volatile[i] as string } });
        }
      })();
      const [{ ids }] = await Promise.all([listing, writers]);

      // Assess
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(expect.arrayContaining(stable));
      const known = new Set([...stable, ...volatile, ...created]);
      expect(ids.filter((id) => !known.has(id))).toEqual([]);
    });
  });

  describe('what it refuses', () => {
    const table = useTable();
    const api = useApi(transport, table);
    const refused = async (query: string | Record<string, string>, parameter: string) => {
      const response: CheckedResponse = await checked(
        'listItems',
        api.send({ method: 'GET', path: '/dynamo/items', query }),
      );
      expect(response.status, response.body).toBe(400);
      const errors = (response.json as { errors: Array<{ parameter?: string; detail: string }> })
        .errors;
      expect(errors.map((e) => e.parameter)).toContain(parameter);
      return errors.find((e) => e.parameter === parameter)?.detail;
    };

    it.each([
      ['0', 'must be at least 1'],
      ['101', 'must be at most 100'],
      ['abc', 'must be an integer'],
      ['1.5', 'must be an integer'],
      ['', 'must be an integer'],
    ])('limit=%j: 400, %s', async (limit, detail) => {
      expect(await refused({ limit }, 'limit')).toBe(detail);
    });

    it('refuses limit given twice', async () => {
      expect(await refused('limit=1&limit=2', 'limit')).toBe('is given 2 times; send it once');
    });

    it('refuses a user_id: the listing takes none', async () => {
      expect(await refused({ user_id: 'ada' }, 'user_id')).toBe(
        'is not a parameter of this operation; it takes limit, cursor',
      );
    });

    it('refuses a cursor that was changed, cut, made up or made by another deployment', async () => {
      await seed(table, 3, 'cursor');
      const first = (await list(api, { limit: '1' })).json as unknown as Page;
      const cursor = first.cursor as string;
      const [version, payload, mac] = cursor.split('.') as [string, string, string];
      const changedPayload = Buffer.from(JSON.stringify({ after: 'someone-else' })).toString(
        'base64url',
      );
      const cases = [
        [
          `${version}.${changedPayload}.${mac}`,
          /changed, cut short, or made by another deployment/,
        ],
        [cursor.slice(0, -3), /changed, cut short, or made by another deployment/],
        [
          createCursorCodec('another-deployment-s-key-of-32-chars').encode('cursor-0000'),
          /another deployment/,
        ],
        ['not-a-cursor', /is not a cursor of this API/],
        [`v2.${payload}.${mac}`, /is not a cursor of this API/],
      ] as const;

      for (const [given, detail] of cases) {
        expect(await refused({ cursor: given }, 'cursor')).toMatch(detail);
      }
      // And the cursor as given still works.
      expect((await list(api, { limit: '1', cursor })).status).toBe(200);
    });
  });

  describe('items other programs wrote', () => {
    const table = useTable();
    const api = useApi(transport, table);

    it('lists them as GET reads them: sets as sorted arrays, binary as base64, version 0', async () => {
      await table.client.send(
        new PutItemCommand({
          TableName: table.tableName,
          Item: {
            user_id: { S: 'foreign' },
            tags: { SS: ['b', 'a'] },
            blob: { B: Buffer.from('ab') },
            [VERSION_ATTRIBUTE]: { S: '7' },
          },
        }),
      );

      const page = (await list(api)).json as unknown as Page;

      expect(page.items).toEqual([
        { item: { user_id: 'foreign', tags: ['a', 'b'], blob: 'YWI=' }, etag: '"0"' },
      ]);
    });
  });
});
