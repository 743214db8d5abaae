/** A page of a listing from reads that stop short, as DynamoDB's Scans do at 1 MB. */
import { describe, expect, it } from 'vitest';
import { readPage } from './listing.js';
import type { ItemStore, VersionedItem } from './ports.js';

const item = (userId: string): VersionedItem => ({ item: { user_id: userId }, version: 1 });

/**
 * A table of `ids` whose reads stop, as a Scan does, at `limit` or after `perRead` items (its
 * 1 MB), and say where they stopped whenever they stop at either, items left or not.
 */
function scanningStore(ids: readonly string[], perRead: number) {
  const reads: Array<{ limit: number; after?: string }> = [];
  const store = {
    async scan(read: { limit: number; after?: string }) {
      reads.push(read);
      const start = read.after === undefined ? 0 : ids.indexOf(read.after) + 1;
      const taken = ids.slice(start, start + Math.min(read.limit, perRead));
      const stopped = taken.length === read.limit || taken.length === perRead;
      const last = taken.at(-1);
      return {
        items: taken.map(item),
        ...(stopped && last !== undefined ? { resumeAfter: last } : {}),
      };
    },
  } as Pick<ItemStore, 'scan'> as ItemStore;
  return { store, reads };
}

const ids = (page: { items: readonly VersionedItem[] }) => page.items.map((i) => i.item.user_id);
const roomy = { sizeOf: () => 1, maxBytes: 1_000, mayReadAgain: () => true };

describe('readPage', () => {
  it('reads on where a read stopped short, and ends the listing without an empty page', async () => {
    // Three items that one read stops at, as three of 360 KB stop a Scan at 1 MB.
    const { store, reads } = scanningStore(['a', 'b', 'c'], 3);

    const page = await readPage(store, { limit: 100 }, roomy);

    expect(page).toEqual({ items: [item('a'), item('b'), item('c')] });
    expect(reads).toEqual([{ limit: 101 }, { limit: 98, after: 'c' }]);
  });

  it('fills the page from reads of a few items each, asking each for what is missing', async () => {
    const { store, reads } = scanningStore(['a', 'b', 'c', 'd', 'e', 'f'], 2);

    const page = await readPage(store, { limit: 4 }, roomy);

    expect(ids(page)).toEqual(['a', 'b', 'c', 'd']);
    expect(page.next).toBe('d');
    expect(reads.map((r) => r.limit)).toEqual([5, 3, 1]);
  });

  it('knows the last page from the item past it: none there, no cursor', async () => {
    const { store } = scanningStore(['a', 'b', 'c'], 100);

    expect(await readPage(store, { limit: 3 }, roomy)).toEqual({
      items: [item('a'), item('b'), item('c')],
    });
    expect(await readPage(store, { limit: 2 }, roomy)).toEqual({
      items: [item('a'), item('b')],
      next: 'b',
    });
    expect(await readPage(store, { limit: 2, after: 'b' }, roomy)).toEqual({
      items: [item('c')],
    });
  });

  it('cuts the page before the item that would pass maxBytes, and holds one at least', async () => {
    const { store } = scanningStore(['a', 'b', 'c', 'd'], 100);
    const sizes: Record<string, number> = { a: 40, b: 50, c: 200, d: 1 };
    const options = {
      ...roomy,
      sizeOf: (found: VersionedItem) => sizes[found.item.user_id] ?? 0,
      maxBytes: 100,
    };

    const first = await readPage(store, { limit: 100 }, options);
    const second = await readPage(store, { limit: 100, after: 'b' }, options);
    const third = await readPage(store, { limit: 100, after: 'c' }, options);

    expect(first).toEqual({ items: [item('a'), item('b')], next: 'b' });
    expect(second).toEqual({ items: [item('c')], next: 'c' });
    expect(third).toEqual({ items: [item('d')] });
  });

  it('ends the page where the read stopped when there is no time for another', async () => {
    const { store, reads } = scanningStore(['a', 'b', 'c', 'd'], 2);

    const page = await readPage(store, { limit: 100 }, { ...roomy, mayReadAgain: () => false });

    expect(page).toEqual({ items: [item('a'), item('b')], next: 'b' });
    expect(reads).toHaveLength(1);
  });
});
