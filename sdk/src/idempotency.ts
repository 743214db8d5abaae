/**
 * The `Idempotency-Key` the SDK sends with `createItem`, `updateItem` and `mergeItem` (IETF
 * httpapi draft "The Idempotency-Key HTTP Header Field"): one key per call, sent with each of
 * its attempts, so that a retry after a lost answer gets the first answer again instead of
 * writing again.
 */

/** Keys are 1 to 255 printable ASCII characters (what the API takes). */
const KEY = /^[\x20-\x7e]{1,255}$/;

/**
 * A new key: a random UUID (version 4). `crypto.randomUUID` exists only in secure contexts in
 * browsers (https, localhost); `crypto.getRandomValues` everywhere, so a page served over plain
 * http on a LAN address can still send keys.
 */
export function newIdempotencyKey(): string {
  const { crypto } = globalThis;
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  // RFC 9562 §5.4: version 4, variant 10.
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * `key` as the header's value: a Structured Field String (RFC 8941 §3.3.3), `"` and `\`
 * escaped.
 *
 * @throws TypeError for a key the API would refuse: empty, over 255 characters, or not
 *   printable ASCII
 */
export function idempotencyKeyHeader(key: string): string {
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw new TypeError(
      'idempotencyKey must be 1 to 255 printable ASCII characters, such as a UUID from crypto.randomUUID()',
    );
  }
  return `"${key.replace(/["\\]/g, '\\$&')}"`;
}
