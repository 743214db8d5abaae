/**
 * The `Idempotency-Key` request header (IETF httpapi draft "The Idempotency-Key HTTP Header
 * Field", draft-ietf-httpapi-idempotency-key-header): its value, and what makes two requests
 * with one key the same request. Remembering answers is the `IdempotencyStore`'s job.
 */
import { createHash } from 'node:crypto';
import { ValidationError } from './problems.js';

/** The request header, as requests carry it (lower case). */
export const IDEMPOTENCY_KEY = 'idempotency-key';

/** The response header that marks a replayed answer (`true`); Stripe's name for it. */
export const IDEMPOTENT_REPLAYED = 'idempotent-replayed';

/** Keys are 1 to this many characters. */
export const MAX_KEY_LENGTH = 255;

/** RFC 9110 §5.6.2: `token = 1*tchar`. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** RFC 8941 §3.3.3: what a String holds, unescaped: printable ASCII. */
const STRING_CHARACTER = /^[\x20-\x7e]$/;

const SEND_INSTEAD =
  'send a key of your own, 1 to 255 printable ASCII characters, as a string in double quotes such as "8e03978e-40d5-43e8-bc93-6894a57f9324" (RFC 8941 §3.3.3: escape " and \\ with \\) or as a bare token of letters, digits and !#$%&\'*+-.^_`|~';

/**
 * The key an `Idempotency-Key` value carries. The draft makes it a Structured Field String
 * (RFC 8941 §3.3.3, parsed as §4.2.5 says); a bare token (RFC 9110 §5.6.2), which is how many
 * clients send a UUID, is taken too and means the same key as the string of its characters.
 * Surrounding spaces are ignored (§4.2); parameters after the string are not taken.
 *
 * @throws ValidationError naming the header, saying what is wrong and what to send
 */
export function parseIdempotencyKey(value: string): string {
  const text = value.trim();
  let key: string;
  if (text.startsWith('"')) {
    key = parseString(text);
  } else if (TOKEN.test(text)) {
    key = text;
  } else {
    throw refused(text === '' ? 'is empty' : 'is neither a string in double quotes nor a token');
  }
  if (key.length === 0) throw refused('is an empty string');
  if (key.length > MAX_KEY_LENGTH) throw refused(`is ${key.length} characters long`);
  return key;
}

/** RFC 8941 §4.2.5, then nothing after the closing quote. */
function parseString(text: string): string {
  let key = '';
  for (let i = 1; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === '\\') {
      const next = text.charAt(i + 1);
      if (next !== '"' && next !== '\\') {
        throw refused(`has a backslash before ${JSON.stringify(next)}, which is not " or \\`);
      }
      key += next;
      i++;
      continue;
    }
    if (c === '"') {
      if (i !== text.length - 1) throw refused('has more after the closing double quote');
      return key;
    }
    if (!STRING_CHARACTER.test(c)) {
      throw refused(`has a character a string cannot hold (U+${hex(c)})`);
    }
    key += c;
  }
  throw refused('has no closing double quote');
}

function hex(character: string): string {
  return (character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
}

function refused(what: string): ValidationError {
  return new ValidationError([{ header: 'Idempotency-Key', detail: `${what}: ${SEND_INSTEAD}` }]);
}

/** What a request is, as far as its `Idempotency-Key` is concerned. */
export interface RequestContent {
  readonly method: string;
  /** Decoded, as routed: `/dynamo`. */
  readonly path: string;
  /** As sent. */
  readonly query: string;
  /**
   * The body's media type as the operation takes it (`application/merge-patch+json`): a
   * `charset` parameter has no effect on JSON (RFC 8259 §11), so it is not part of it.
   */
  readonly mediaType: string | undefined;
  /** The body as text, exactly as sent. */
  readonly body: string | undefined;
  readonly ifMatch: string | undefined;
  readonly ifNoneMatch: string | undefined;
}

/**
 * SHA-256 (base64url) of what makes two requests with one key the same request: method, path,
 * query, media type, the body byte for byte and the precondition headers. A key repeated with
 * any of these changed is a 422 (the draft's "reuse of an idempotency key with a different
 * request payload"): `{"a":1}` and `{ "a": 1 }` are different requests.
 */
export function fingerprint(content: RequestContent): string {
  const { method, path, query, mediaType, ifMatch, ifNoneMatch, body } = content;
  return (
    createHash('sha256')
      // JSON escapes line breaks, so the head ends at the first one.
      .update(JSON.stringify([method, path, query, mediaType, ifMatch, ifNoneMatch]))
      .update('\n')
      .update(body ?? '')
      .digest('base64url')
  );
}
