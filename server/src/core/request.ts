/**
 * A request as every adapter hands it to the core, and a response as the core hands it back:
 * no Lambda, no `node:http`. The core turns the request's bytes into text itself, strictly, so
 * every transport is held to the same rules, and owns the body-size limit.
 */
import { MalformedBodyError, PayloadTooLargeError, ValidationError } from './problems.js';

/**
 * The body as the transport has it: text (an API Gateway body that was not base64-encoded),
 * base64 (one that was: binary media types), bytes, or a stream of bytes (`node:http`) that the
 * core reads only as far as it accepts. A stream throws `RequestAbortedError` when its client
 * went away before the end, or the `ApiError` its transport answers a broken body with.
 */
export type RequestBody =
  | string
  | { readonly base64: string }
  | Uint8Array
  | AsyncIterable<Uint8Array>
  | undefined;

export interface ApiRequest {
  /** As sent, e.g. `GET`. */
  readonly method: string;
  /** Without query string or stage prefix, percent-encoded as sent, e.g. `/dynamo`. */
  readonly path: string;
  /** The query string as sent (percent-encoded), without the `?`; `''` when there is none. */
  readonly query: string;
  /** Lower-case names; a field sent more than once is its values joined by `, ` (RFC 9110 §5.3). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: RequestBody;
  /** Correlates logs and the problem `instance` with this request. */
  readonly requestId: string;
  /**
   * When the transport stops the request's work (epoch milliseconds): on Lambda, the
   * invocation's timeout. `undefined` when nothing does.
   */
  readonly deadline?: number | undefined;
}

export interface ApiResponse {
  readonly statusCode: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** `''` when there is none. */
  readonly body: string;
}

/**
 * The whole body, if it is at most `maxBytes` long; a stream is read no further than that.
 *
 * @returns `undefined` when there is no body or it is empty.
 * @throws PayloadTooLargeError when it is longer (the one place that decides 413).
 */
export async function readBody(
  body: RequestBody,
  maxBytes: number,
  declaredLength: string | undefined,
): Promise<string | Uint8Array | undefined> {
  const tooLarge = () => new PayloadTooLargeError(`The body is larger than ${maxBytes} bytes.`);
  if (body === undefined) return undefined;
  if (typeof body === 'string') {
    if (Buffer.byteLength(body) > maxBytes) throw tooLarge();
    return body === '' ? undefined : body;
  }
  if (body instanceof Uint8Array) {
    if (body.byteLength > maxBytes) throw tooLarge();
    return body.byteLength === 0 ? undefined : body;
  }
  if ('base64' in body) return readBody(decodeBase64(body.base64), maxBytes, undefined);
  // A declared length over the limit is refused before a byte is read.
  if (declaredLength !== undefined && Number(declaredLength) > maxBytes) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return size === 0 ? undefined : Buffer.concat(chunks);
}

/**
 * Base64 as RFC 4648 §4 defines it, strictly: `Buffer.from(text, 'base64')` would skip what is
 * not base64 and decode the rest.
 *
 * @throws MalformedBodyError
 */
function decodeBase64(text: string): Uint8Array {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new MalformedBodyError(
      'The body came base64-encoded (RFC 4648 §4) but is not valid base64; send it again.',
    );
  }
  return Buffer.from(text, 'base64');
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The body as text. JSON is UTF-8 (RFC 8259 §8.1): bytes that are not, and text with a lone
 * UTF-16 surrogate (which UTF-8 cannot encode), are refused, never replaced.
 *
 * @throws MalformedBodyError naming the first byte (or character) that is wrong.
 */
export function decodeBody(body: string | Uint8Array): string {
  if (typeof body === 'string') {
    if (body.isWellFormed()) return body;
    const at = [...body].findIndex((c) => !c.isWellFormed());
    throw new MalformedBodyError(
      `The body is not valid UTF-8 text (RFC 8259 §8.1): character ${at} is a lone UTF-16 surrogate; send UTF-8.`,
    );
  }
  try {
    return utf8.decode(body);
  } catch {
    throw new MalformedBodyError(
      `The body is not valid UTF-8 (RFC 8259 §8.1): the bytes from offset ${firstInvalidUtf8Byte(body)} are not a UTF-8 character; send UTF-8.`,
    );
  }
}

/**
 * The offset where the first sequence that is not UTF-8 (RFC 3629 §4) begins, or -1 when there
 * is none: for `caf` + 0xE9 + `"`, the 0xE9.
 */
export function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    // Length, and the range of the second byte, which rules out overlong forms and surrogates.
    const [length, low, high] =
      b >= 0xc2 && b <= 0xdf
        ? [2, 0x80, 0xbf]
        : b === 0xe0
          ? [3, 0xa0, 0xbf]
          : b === 0xed
            ? [3, 0x80, 0x9f]
            : b >= 0xe1 && b <= 0xef
              ? [3, 0x80, 0xbf]
              : b === 0xf0
                ? [4, 0x90, 0xbf]
                : b >= 0xf1 && b <= 0xf3
                  ? [4, 0x80, 0xbf]
                  : b === 0xf4
                    ? [4, 0x80, 0x8f]
                    : [0, 0, 0];
    if (length === 0) return i;
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      const [min, max] = k === 1 ? [low, high] : [0x80, 0xbf];
      if (c === undefined || c < min || c > max) return i;
    }
    i += length;
  }
  return -1;
}

/**
 * A query string as name → values, in order, as `application/x-www-form-urlencoded` reads it
 * (`+` is a space), but strictly: a percent-encoding that is not UTF-8 is refused, not replaced.
 *
 * @throws ValidationError naming the parameter.
 */
export function parseQuery(query: string): Map<string, string[]> {
  const parsed = new Map<string, string[]>();
  if (query === '') return parsed;
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const rawName = at === -1 ? pair : pair.slice(0, at);
    const rawValue = at === -1 ? '' : pair.slice(at + 1);
    const name = decodeComponent(rawName, rawName);
    const value = decodeComponent(rawValue, name);
    const values = parsed.get(name);
    if (values === undefined) parsed.set(name, [value]);
    else values.push(value);
  }
  return parsed;
}

function decodeComponent(raw: string, parameter: string): string {
  // Most names and values need no decoding, and skipping it saves 0.4 µs of each.
  if (!raw.includes('%') && !raw.includes('+')) return raw;
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    throw new ValidationError([
      {
        parameter,
        detail:
          'is not valid percent-encoded UTF-8 (RFC 3986 §2.1); encode the value as UTF-8, then percent-encode it',
      },
    ]);
  }
}

/** RFC 3986 §2.3: the characters percent-encoding never changes the meaning of. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * The path as routing compares it (RFC 3986 §6.2.2): percent-encoded unreserved characters
 * decoded (`/%64ynamo` is `/dynamo`, §6.2.2.2), every other percent-encoding kept, its hex in
 * upper case (§6.2.2.1). A percent-encoded reserved character is data, not the delimiter it
 * encodes (§2.2): `/dynamo%2Fitems` is one segment, not `/dynamo/items`. `undefined` when the
 * percent-encodings are not UTF-8 (§2.1, §2.5).
 */
export function normalizePercentEncoding(path: string): string | undefined {
  if (!path.includes('%')) return path;
  try {
    decodeURIComponent(path);
  } catch {
    return undefined;
  }
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => {
    const character = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(character) ? character : `%${hex.toUpperCase()}`;
  });
}

/**
 * What an adapter's body stream throws when the connection closed before the body was whole:
 * the client went away, so nobody is left to answer. Not a server failure (see `App.handle`).
 */
export class RequestAbortedError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('the client closed the connection before the request was read', options);
    this.name = 'RequestAbortedError';
  }
}
