/**
 * A page of a listing, read from the store: as many reads as it takes to fill the page, cut
 * where its answer would grow past what a Lambda can return.
 *
 * A page is full at `limit` items, or at `MAX_PAGE_BYTES` of answer. It ends with a cursor only
 * when an item after it was seen: the reads go on to `limit + 1` items (the one past the page
 * is read again by the next), so a listing does not end on an empty page. A read that stops
 * short (DynamoDB stops a Scan at 1 MB read: three items of 360 KB fill one) is followed by
 * another from where it stopped, while the request has time for one.
 */
import type { ItemStore, VersionedItem } from './ports.js';

/**
 * The most a page's items may take in its answer, in bytes as a Lambda result carries them
 * (`carriedBytes`): 5 MiB, which leaves 1 MiB of `LAMBDA_RESPONSE_LIMIT` for the rest of the
 * answer (the cursor, twice, is at most about 4 KB; the headers and the result's envelope a
 * few hundred bytes). A page holds at least one item, and one item's answer is at most about
 * 4.3 MB (README, "How large an answer can be"), so no page passes the limit.
 */
export const MAX_PAGE_BYTES = 5 * 1024 * 1024;

/** A page of a listing: its items, and the `user_id` the next page starts after, if any. */
export interface ItemPage {
  readonly items: readonly VersionedItem[];
  readonly next?: string;
}

export interface PageOptions {
  /** How many bytes an item adds to the page's answer (`carriedBytes`, with its separator). */
  readonly sizeOf: (item: VersionedItem) => number;
  /** How many bytes the page's items may take: `MAX_PAGE_BYTES`. */
  readonly maxBytes: number;
  /** Whether another read may start now: false once the request's deadline is too near. */
  readonly mayReadAgain: () => boolean;
}

/**
 * Up to `limit` items after the item `after` (from the start without it), as few as keep the
 * answer within `options.maxBytes` (one at least, when there is one), and where the next page
 * starts. A page can end empty with a cursor only when the request ran out of time before its
 * first item was read.
 *
 * @throws what `store.scan` throws
 */
export async function readPage(
  store: ItemStore,
  { limit, after }: { readonly limit: number; readonly after?: string },
  options: PageOptions,
): Promise<ItemPage> {
  const items: VersionedItem[] = [];
  let bytes = 0;
  let from = after;
  for (;;) {
    const read = await store.scan({
      limit: limit + 1 - items.length,
      ...(from === undefined ? {} : { after: from }),
    });
    for (const found of read.items) {
      // An item past the page exists: the page is full, by count or by bytes.
      if (items.length === limit) return cut(items);
      const size = options.sizeOf(found);
      if (items.length > 0 && bytes + size > options.maxBytes) return cut(items);
      items.push(found);
      bytes += size;
    }
    if (read.resumeAfter === undefined) return { items };
    // Every item read is on the page, so the page ends where the read did.
    if (!options.mayReadAgain()) return { items, next: read.resumeAfter };
    from = read.resumeAfter;
  }
}

/** `items` as a page whose next starts after its last item. */
function cut(items: readonly VersionedItem[]): ItemPage {
  const last = items.at(-1);
  return last === undefined ? { items } : { items, next: last.item.user_id };
}
