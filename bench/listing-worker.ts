/**
 * The listing measure's client process (started by `listing.ts`): times a first page of 25 and
 * full listings, through the local server (`GET /dynamo/items`, following `cursor`) and with
 * direct `ScanCommand`s (`Limit`, `ExclusiveStartKey`, strongly consistent as the API's), then
 * sends the samples to its parent and exits. A listing that does not find every item exactly
 * once fails the bench.
 *
 * Run with `node --import tsx`.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoDbClient } from '../server/src/aws/clients.js';
import { readConfig } from '../server/src/config.js';
import { LOCAL_CREDENTIALS } from '../server/src/local/dynalite.js';
import { createDocumentClient } from '../server/src/store/dynamodb.js';
import type { ListingSamples } from './listing.js';
import { now } from './stats.js';

export interface ListingSetup {
  readonly endpoint: string;
  readonly tableName: string;
  readonly serverUrl: string;
  readonly items: number;
  readonly pages: number;
  readonly fullListings: number;
  readonly fullListingPage: number;
}

const PAGE = 25;
const setup = JSON.parse(process.argv[2] ?? '{}') as ListingSetup;
const db = createDocumentClient(
  createDynamoDbClient(
    readConfig({
      TABLE_NAME: setup.tableName,
      AWS_REGION: 'us-east-1',
      DYNAMODB_ENDPOINT: setup.endpoint,
    }),
    LOCAL_CREDENTIALS,
  ),
);

/** One page through the API: its items' `user_id`s and the next cursor. */
async function apiPage(limit: number, cursor?: string) {
  const query = `limit=${limit}${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
  const response = await fetch(`${setup.serverUrl}/dynamo/items?${query}`);
  if (response.status !== 200) throw new Error(`GET /dynamo/items: ${response.status}`);
  const page = (await response.json()) as {
    items: Array<{ item: { user_id: string } }>;
    cursor?: string;
  };
  return { ids: page.items.map((listed) => listed.item.user_id), next: page.cursor };
}

/** One page straight from DynamoDB. */
async function directPage(limit: number, after?: Record<string, unknown>) {
  const { Items = [], LastEvaluatedKey } = await db.send(
    new ScanCommand({
      TableName: setup.tableName,
      Limit: limit,
      ConsistentRead: true,
      ...(after === undefined ? {} : { ExclusiveStartKey: after }),
    }),
  );
  return { ids: Items.map((item) => item.user_id as string), next: LastEvaluatedKey };
}

/** Every item, page by page, one way; fails unless each is found exactly once. */
async function listAll(way: 'api' | 'direct'): Promise<number> {
  const seen = new Set<string>();
  let listed = 0;
  const started = now();
  if (way === 'api') {
    let cursor: string | undefined;
    do {
      const page = await apiPage(setup.fullListingPage, cursor);
      for (const id of page.ids) seen.add(id);
      listed += page.ids.length;
      cursor = page.next;
    } while (cursor !== undefined);
  } else {
    let after: Record<string, unknown> | undefined;
    do {
      const page = await directPage(setup.fullListingPage, after);
      for (const id of page.ids) seen.add(id);
      listed += page.ids.length;
      after = page.next;
    } while (after !== undefined);
  }
  const ms = now() - started;
  if (listed !== setup.items || seen.size !== setup.items) {
    throw new Error(`${way}: listed ${listed} (${seen.size} distinct) of ${setup.items} items`);
  }
  return ms;
}

async function timed(task: () => Promise<unknown>): Promise<number> {
  const started = now();
  await task();
  return now() - started;
}

async function main(): Promise<ListingSamples> {
  const samples: ListingSamples = {
    items: setup.items,
    pageMs: { api: [], direct: [] },
    fullMs: { api: [], direct: [] },
  };
  const page = { api: () => apiPage(PAGE), direct: () => directPage(PAGE) };
  for (let i = 0; i < setup.pages; i++) {
    await page.api();
    await page.direct();
  }
  for (let i = 0; i < setup.pages; i++) {
    // Alternating, so neither always follows the other.
    for (const way of i % 2 === 0 ? (['api', 'direct'] as const) : (['direct', 'api'] as const)) {
      samples.pageMs[way].push(await timed(page[way]));
    }
  }
  await listAll('api');
  await listAll('direct');
  for (let i = 0; i < setup.fullListings; i++) {
    for (const way of i % 2 === 0 ? (['api', 'direct'] as const) : (['direct', 'api'] as const)) {
      samples.fullMs[way].push(await listAll(way));
    }
  }
  return samples;
}

main().then(
  (samples) => process.send?.({ samples }, () => process.exit(0)),
  (error: unknown) =>
    process.send?.({ error: error instanceof Error ? error.message : String(error) }, () =>
      process.exit(1),
    ),
);
