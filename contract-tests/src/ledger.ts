/**
 * What the run knows of the items its generated requests write (the pool's), learnt from the
 * answers. A write's body can be valid and the item it makes not: a PATCH that sets a team plan
 * on an item without seats, a merge patch that removes a required attribute, where `Item` has
 * rules about the item as a whole. Such a write is judged by the item it would make: a 400 is
 * right exactly when that item is not an `Item`. Where the run cannot know the item (an answer
 * it did not get, a 5xx), either answer is taken.
 */
import type { PlannedRequest } from './generate.js';
import type { Exchange } from './http.js';
import { isPlainObject, itemAfter } from './item.js';
import type { SchemaCheck } from './schemas.js';

/** What the item a write would make says of a 400 to it. */
export type Refusal =
  /** The item it makes is not an `Item`: it must be refused. */
  | 'required'
  /** It makes a valid item, or none (no item to change, or not a change of one). */
  | 'wrong'
  /** The run does not know the item it would change. */
  | 'unknown';

export interface Ledger {
  /** What a 400 to `request` would be, judged by the item it would make. */
  refusal(request: PlannedRequest): Refusal;
  /** Learns from the answer to `request` (`undefined`: none came). */
  record(request: PlannedRequest, response: Exchange['response']): void;
}

/**
 * @param keys the pool: items that do not exist when the run starts (a fresh namespace).
 * @param itemRef the item schema, e.g. `#/components/schemas/Item`.
 */
export function createLedger(options: {
  readonly check: SchemaCheck;
  readonly itemRef: string;
  readonly keyName: string;
  readonly keys: readonly string[];
}): Ledger {
  const { check, itemRef, keyName } = options;
  /** By key: the item as last answered, `null` when there is none; absent when unknown. */
  const items = new Map<string, Readonly<Record<string, unknown>> | null>(
    options.keys.map((key) => [key, null]),
  );
  const pool = new Set(options.keys);

  return {
    refusal(request) {
      const [key] = keysIn(request, keyName);
      if (key === undefined || request.body === undefined) return 'wrong';
      if (!items.has(key)) return pool.has(key) ? 'unknown' : 'wrong';
      const current = items.get(key);
      if (current === null || current === undefined) return 'wrong';
      const after = itemAfter(current, request.headers['content-type'] ?? '', jsonOf(request.body));
      if (after === undefined) return 'wrong';
      return check(itemRef, after).length > 0 ? 'required' : 'wrong';
    },

    record(request, response) {
      for (const key of keysIn(request, keyName)) {
        if (!pool.has(key)) continue;
        const status = response?.status;
        if (response === undefined || status === undefined || status >= 500) {
          items.delete(key);
        } else if (status === 404 || (request.method === 'DELETE' && status < 300)) {
          items.set(key, null);
        } else if (status < 300) {
          const body = jsonOf(response.body);
          if (isPlainObject(body) && body[keyName] === key) items.set(key, body);
          // A write answered without the item it made: what it made is not known.
          else if (request.method !== 'GET' && request.method !== 'HEAD') items.delete(key);
        }
      }
    },
  };
}

/** The keys a request names, in its query or its JSON body. */
export function keysIn(request: PlannedRequest, keyName: string): string[] {
  const keys = request.query.filter(([name]) => name === keyName).map(([, value]) => value);
  const body = request.body === undefined ? undefined : jsonOf(request.body);
  if (isPlainObject(body) && typeof body[keyName] === 'string') keys.push(body[keyName]);
  return keys;
}

function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
