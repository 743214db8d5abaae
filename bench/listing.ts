/**
 * What a listing costs: a page of 25 and a full listing, through the local HTTP server, beside
 * the same Scan calls made directly on the same engine.
 *
 * The items are in a table of their own (so the other measures' writes do not change the
 * count), served by a local server of its own. The requests come from a process of their own
 * (`listing-worker.ts`), as the other warm measures' do, so the bench process only runs the
 * engine.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { newIncarnation } from '../server/src/core/ports.js';
import { ensureTable } from '../server/src/local/dynalite.js';
import {
  createDocumentClient,
  INCARNATION_ATTRIBUTE,
  VERSION_ATTRIBUTE,
} from '../server/src/store/dynamodb.js';
import type { ListingSetup } from './listing-worker.js';
import { type Figure, figure } from './report.js';
import { median, percentile } from './stats.js';

export interface ListingOptions {
  /** The engine's client: the table is made and filled with it. */
  readonly client: DynamoDBClient;
  readonly endpoint: string;
  /** Items in the listed table. */
  readonly items: number;
  /** Requests of one page each way, after as many warm-up requests. */
  readonly pages: number;
  /** Full listings each way, after one warm-up each. */
  readonly fullListings: number;
  /** Starts a local server on `tableName` and resolves to its URL (without `/dynamo`). */
  readonly startServer: (tableName: string) => Promise<string>;
}

/** Milliseconds of each request or listing, through the API and direct. */
export interface ListingSamples {
  readonly items: number;
  readonly pageMs: { readonly api: number[]; readonly direct: number[] };
  readonly fullMs: { readonly api: number[]; readonly direct: number[] };
}

const TABLE_NAME = 'bench-listing';
/** A page of a full listing: the most the API gives (openapi.yaml, `limit` maximum). */
export const FULL_LISTING_PAGE = 100;

export async function measureListing(options: ListingOptions): Promise<ListingSamples> {
  await ensureTable(options.client, TABLE_NAME);
  const db = createDocumentClient(options.client);
  // BatchWriteItem takes 25 puts a request (DynamoDB's limit).
  for (let start = 0; start < options.items; start += 25) {
    const puts = Array.from({ length: Math.min(25, options.items - start) }, (_, i) => ({
      PutRequest: {
        Item: {
          user_id: `listed-${String(start + i).padStart(6, '0')}`,
          name: 'Ada Lovelace',
          visits: start + i,
          tags: ['a', 'b'],
          [VERSION_ATTRIBUTE]: 1,
          [INCARNATION_ATTRIBUTE]: newIncarnation(),
        },
      },
    }));
    await db.send(new BatchWriteCommand({ RequestItems: { [TABLE_NAME]: puts } }));
  }
  const setup: ListingSetup = {
    endpoint: options.endpoint,
    tableName: TABLE_NAME,
    serverUrl: await options.startServer(TABLE_NAME),
    items: options.items,
    pages: options.pages,
    fullListings: options.fullListings,
    fullListingPage: FULL_LISTING_PAGE,
  };
  const child = fork(
    fileURLToPath(new URL('./listing-worker.ts', import.meta.url)),
    [JSON.stringify(setup)],
    {
      cwd: join(fileURLToPath(import.meta.url), '../..'),
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    },
  );
  return new Promise((resolve, reject) => {
    child.once('message', (message: { samples?: ListingSamples; error?: string }) => {
      if (message.samples !== undefined) resolve(message.samples);
      else reject(new Error(`the listing process failed: ${message.error}`));
    });
    child.once('exit', (code) => reject(new Error(`the listing process exited (${code})`)));
  });
}

export function listingFigures(samples: ListingSamples): Figure[] {
  const { items, pageMs, fullMs } = samples;
  return [
    figure(
      'listing.page25.p50',
      'list a page of 25, p50',
      'ms',
      median(pageMs.api),
      'direct Scan',
      median(pageMs.direct),
    ),
    figure(
      'listing.page25.p99',
      'list a page of 25, p99',
      'ms',
      percentile(pageMs.api, 99),
      'direct Scan',
      percentile(pageMs.direct, 99),
    ),
    figure(
      'listing.full',
      `list all ${items.toLocaleString('en')}, ${FULL_LISTING_PAGE} a page, median`,
      'ms',
      median(fullMs.api),
      'direct Scan',
      median(fullMs.direct),
    ),
  ];
}
