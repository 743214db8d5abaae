/**
 * Listing cursors: where the next page starts, opaque to clients and signed, so that a cursor
 * a client changed, cut short or got from another deployment is refused rather than followed.
 *
 * A cursor is `v1.<payload>.<mac>`: the payload the `user_id` the next page starts after
 * (DynamoDB's `LastEvaluatedKey` for this table), its UTF-8 bytes in base64url (RFC 4648 §5);
 * the mac an HMAC-SHA256 of it with the deployment's key (`CURSOR_KEY`), base64url. The bytes
 * as they are, not JSON, so that the longest cursor stays well within the contract's 4,096
 * characters: a `user_id` is at most 512 UTF-16 code units, at most 1,536 UTF-8 bytes, 2,048
 * characters of base64url, 2,095 in all (JSON would write a control character as six).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ValidationError } from './problems.js';

export interface CursorCodec {
  /** The cursor of a page that starts after the item `userId`. */
  encode(userId: string): string;
  /**
   * The `user_id` a cursor says the page starts after.
   *
   * @throws ValidationError naming the `cursor` parameter, when it is not one this deployment
   *   made (changed, cut short, from elsewhere)
   */
  decode(cursor: string): string;
}

const VERSION = 'v1';

/** @param key the deployment's signing key; anyone who has it can make cursors. */
export function createCursorCodec(key: string): CursorCodec {
  const mac = (payload: string) =>
    createHmac('sha256', key).update(`${VERSION}.${payload}`).digest('base64url');
  const refuse = (why: string) =>
    new ValidationError([
      {
        parameter: 'cursor',
        detail: `${why}; send the cursor of the page before exactly as it was given, or leave it out to start from the first page`,
      },
    ]);
  return {
    encode(userId) {
      const payload = Buffer.from(userId).toString('base64url');
      return `${VERSION}.${payload}.${mac(payload)}`;
    },
    decode(cursor) {
      const [version, payload, signature, ...rest] = cursor.split('.');
      if (
        version !== VERSION ||
        payload === undefined ||
        signature === undefined ||
        rest.length > 0
      ) {
        throw refuse('is not a cursor of this API');
      }
      const expected = Buffer.from(mac(payload));
      const given = Buffer.from(signature);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw refuse('was changed, cut short, or made by another deployment');
      }
      // Signed by this deployment, so made by `encode`: the bytes of a well-formed string.
      return Buffer.from(payload, 'base64url').toString('utf8');
    },
  };
}
