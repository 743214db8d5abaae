/**
 * The contract's request rules (openapi.yaml) as JSON Schemas of the whole API Gateway event,
 * which is what `@middy/validator` validates (after `http-event-normalizer`,
 * `http-header-normalizer` and `http-json-body-parser` have shaped it). Written by hand, as
 * middy's users write them; the conformance check holds them to the contract.
 */
import type { PeerOperationId } from './shared.js';

/**
 * Middy's defaults (`@middy/validator/transpile`) but for `coerceTypes`: the contract's types
 * are not coerced, so a `user_id` of `42` is a 400 as it is for the function (middy's default,
 * `'array'`, would store `"42"`).
 */
export const AJV_OPTIONS = { coerceTypes: false } as const;

const userId = { type: 'string', minLength: 1, maxLength: 512 };

const userIdQuery = {
  type: 'object',
  required: ['user_id'],
  properties: { user_id: userId },
};

const ifMatchHeader = {
  type: 'object',
  properties: { 'if-match': { type: 'string', maxLength: 1024 } },
};

const event = (properties: Record<string, object>) => ({
  type: 'object',
  required: Object.keys(properties),
  properties,
});

export const eventSchemas: Readonly<Record<PeerOperationId, object>> = {
  getItem: event({ queryStringParameters: userIdQuery }),
  createItem: event({
    body: { type: 'object', required: ['user_id'], properties: { user_id: userId } },
  }),
  updateItem: event({
    headers: ifMatchHeader,
    body: {
      type: 'object',
      required: ['user_id', 'updatedKey', 'updatedValue'],
      additionalProperties: false,
      properties: {
        user_id: userId,
        updatedKey: { type: 'string', minLength: 1 },
        updatedValue: {},
      },
    },
  }),
  deleteItem: event({ queryStringParameters: userIdQuery, headers: ifMatchHeader }),
};
