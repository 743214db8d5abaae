/**
 * The contract's request rules (openapi.yaml) in zod, for the peers whose validators take
 * Standard Schema (Powertools' event handler, hono's zod validator). Written by hand, as users
 * of those frameworks write them; the conformance check holds them to the contract.
 */
import * as z from 'zod';

/** `UserId`: 1 to 512 characters. */
const userId = z.string().min(1).max(512);

/** `GET` and `DELETE`: the `user_id` query parameter. */
export const userIdQuery = z.object({ user_id: userId });

/** `If-Match` (lower case, as both frameworks hand headers over): absent or a string. */
export const ifMatchHeader = z.object({ 'if-match': z.string().max(1024).exactOptional() });

/** `Item`: any object with a `user_id`; what DynamoDB can store is checked by the operation. */
export const item = z.looseObject({ user_id: userId });

const UPDATE_KEYS: ReadonlySet<string> = new Set(['user_id', 'updatedKey', 'updatedValue']);

/**
 * `UpdateRequest`: exactly these three; `updatedValue` any JSON value, `null` included. Other
 * keys are refused one by one, each at its own path (`strictObject` reports them all in one
 * issue at the object's path, which names none of them).
 */
export const updateRequest = z
  .looseObject({ user_id: userId, updatedKey: z.string().min(1), updatedValue: z.json() })
  .superRefine((value, ctx) => {
    for (const key of Object.keys(value)) {
      if (!UPDATE_KEYS.has(key))
        ctx.addIssue({ code: 'custom', path: [key], message: 'is not allowed here' });
    }
  });
