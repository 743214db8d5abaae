/**
 * `@dynamo-crud/sdk`: a typed client for the dynamo-crud API, generated from its openapi.yaml, on
 * ky. This entry runs anywhere `fetch` does (browsers, Node 20.19+, Deno, Bun, workers): it
 * imports ky and no `node:` module. AWS SigV4 signing is the separate entry
 * `@dynamo-crud/sdk/sigv4`.
 */
export {
  type AttributeName,
  type AttributeValue,
  type CallOptions,
  type ClientOptions,
  type CreateItemResult,
  type CreateOptions,
  createClient,
  type DeleteItemResult,
  type DynamoCrudClient,
  type HeaderMap,
  type IdempotencyOptions,
  type Item,
  type ItemMergePatch,
  type ItemPageResult,
  type ItemResult,
  type ItemsOptions,
  type ItemUpdate,
  type NewItem,
  type PageRequest,
  type UpdateOptions,
  type UserId,
  type WriteOptions,
} from './client.js';
export {
  isNetworkError,
  isProblemError,
  isResponseError,
  isTimeoutError,
  NetworkError,
  ProblemError,
  ResponseError,
  TimeoutError,
} from './errors.js';
export type {
  FieldError,
  ItemCreatedDetail,
  ItemDeletedDetail,
  ItemUpdatedDetail,
  Problem,
  UpdateRequest,
  WriteEventDetail,
} from './gen/types.gen.js';
export { ExactNumber, type NumberMode } from './json.js';
export type { RetryOptions } from './retry.js';
