/**
 * A client of the dynamo-crud API on `@dynamo-crud/sdk`: create an item, read it, update it only
 * if nobody changed it since (If-Match), see a stale update refused, change several attributes
 * in one write (a JSON Merge Patch), delete it.
 *
 *   DYNAMO_CRUD_URL=http://127.0.0.1:3000 npm start
 */
import { randomUUID } from 'node:crypto';
import { createClient, isProblemError } from '@dynamo-crud/sdk';

const baseUrl = process.env.DYNAMO_CRUD_URL ?? 'http://127.0.0.1:3000';
const api = createClient({ baseUrl, timeout: 5_000 });
const userId = `example-${randomUUID()}`;

const created = await api.createItem({ user_id: userId, name: 'Ada', visits: 1 });
console.log(`created ${created.item.user_id} at ${created.location}, ETag ${created.etag}`);

const read = await api.getItem(userId);
console.log(`read ${JSON.stringify(read.item)}, ETag ${read.etag}`);

// Conditional on the item as just read (its ETag, passed back as it came): if someone else had
// written in between, or deleted the item and created another, this is a 412.
const updated = await api.updateItem(
  { user_id: userId, updatedKey: 'name', updatedValue: 'Ada Lovelace' },
  { ifMatch: read },
);
console.log(`updated name to ${String(updated.item.name)}, ETag ${updated.etag}`);

// The ETag of the first read is stale now: the write is refused and nothing changes.
try {
  await api.updateItem(
    { user_id: userId, updatedKey: 'name', updatedValue: 'Someone Else' },
    { ifMatch: read },
  );
  throw new Error('a stale If-Match was accepted');
} catch (error) {
  if (!isProblemError(error) || error.status !== 412) throw error;
  console.log(`stale update refused: ${error.status} ${error.problem.title}`);
}

// Several attributes in one write: one set, one removed (null), one map merged into.
const merged = await api.mergeItem(
  { user_id: userId, visits: null, address: { city: 'London' }, tags: ['math'] },
  { ifMatch: updated },
);
console.log(`merged ${JSON.stringify(merged.item)}, ETag ${merged.etag}`);

const deleted = await api.deleteItem(userId, { ifMatch: merged });
console.log(`deleted ${JSON.stringify(deleted.item)}`);

try {
  await api.getItem(userId);
  throw new Error('the item is still there');
} catch (error) {
  if (!isProblemError(error) || error.status !== 404) throw error;
  console.log(`gone: ${error.status} ${error.problem.detail}`);
}
