/**
 * Items in a `Map`: the store port with DynamoDB's conditional semantics and no I/O, for the
 * core's unit tests and for measuring the core alone (`npm run bench`). Values are kept as
 * given (copy on the way in and out), versions and incarnations as the DynamoDB store keeps
 * them.
 */
import {
  applyChange,
  ItemExistsError,
  ItemNotFoundError,
  type ItemStore,
  meetsCondition,
  newIncarnation,
  type VersionCondition,
  type VersionedItem,
  VersionMismatchError,
  validatorOf,
} from '../core/ports.js';

export interface MemoryStore extends ItemStore {
  /** The stored items, by `user_id`, for tests to look at or seed. */
  readonly items: Map<string, VersionedItem>;
}

export function createMemoryStore(): MemoryStore {
  const items = new Map<string, VersionedItem>();

  /** The item, if it exists and meets `condition`. */
  function current(userId: string, condition: VersionCondition): VersionedItem {
    const found = items.get(userId);
    if (found === undefined) throw new ItemNotFoundError(userId);
    if (!meetsCondition(condition, found)) {
      throw new VersionMismatchError(userId, validatorOf(found), condition);
    }
    return found;
  }

  return {
    items,
    async get(userId) {
      return items.get(userId);
    },
    async create(item) {
      if (items.has(item.user_id)) throw new ItemExistsError(item.user_id);
      const stored = { item: { ...item }, version: 1, incarnation: newIncarnation() };
      items.set(item.user_id, stored);
      return stored;
    },
    async update(userId, change, condition) {
      const previous = current(userId, condition);
      const updated = {
        item: applyChange(previous.item, change),
        version: previous.version + 1,
        incarnation: previous.incarnation ?? newIncarnation(),
      };
      items.set(userId, updated);
      return { ...updated, previous };
    },
    async scan({ limit, after }) {
      const keys = [...items.keys()].sort().filter((key) => after === undefined || key > after);
      const read = keys.slice(0, limit);
      const last = read.at(-1);
      return {
        items: read.map((key) => items.get(key) as VersionedItem),
        ...(keys.length > limit && last !== undefined ? { resumeAfter: last } : {}),
      };
    },
    async delete(userId, condition) {
      const previous = current(userId, condition);
      items.delete(userId);
      return previous;
    },
  };
}
