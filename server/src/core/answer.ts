/**
 * How an answer's body is written, and how many bytes it takes where it is carried furthest:
 * inside a Lambda proxy result, which must fit what Lambda answers.
 */
import { inCanonicalOrder, stringifyJson } from './json.js';

/**
 * The most a function invoked synchronously (as API Gateway invokes it) may answer: "6 MB" for
 * the response payload (AWS Lambda Developer Guide, "Lambda quotas", and the `Invoke` API
 * reference), taken as 6 MiB. Past it the invocation fails and API Gateway answers 502.
 */
export const LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024;

/**
 * A body as the API answers it. One version, one representation (the ETag is strong, RFC 9110
 * §8.8.1): the members of every object in one order, `user_id` first, whichever order a client
 * wrote or an engine reads; every number in one spelling (`json.ts`).
 */
export function answerText(body: unknown): string {
  return stringifyJson(inCanonicalOrder(body, ['user_id']));
}

/**
 * The bytes `text` takes as the `body` of a Lambda proxy result, which the runtime sends as
 * JSON: its UTF-8 bytes once written as a JSON string (a `"` or `\` of the answer is two
 * bytes there), without the quotes around it.
 */
export function carriedBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text)) - 2;
}
