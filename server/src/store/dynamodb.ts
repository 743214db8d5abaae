/**
 * The only code that speaks DynamoDB. Every write is conditional, every attribute name goes
 * through `ExpressionAttributeNames`, and the item's version lives in a reserved attribute.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  type DynamoDBServiceException,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  ConflictError,
  NotFoundError,
  PayloadTooLargeError,
  PreconditionFailedError,
  quote,
  ServiceUnavailableError,
  ValidationError,
} from '../core/errors.js';
import { RESERVED_PREFIX } from '../core/item.js';
import { fromDecimalText } from '../core/json.js';
import type {
  ExpectedVersions,
  Item,
  ItemStore,
  UpdatedItem,
  VersionedItem,
} from '../core/types.js';

/** Where an item's version is kept: a name clients cannot write (see `RESERVED_PREFIX`). */
export const VERSION_ATTRIBUTE = `${RESERVED_PREFIX}version`;

/** The DynamoDB actions this store calls; Terraform grants exactly these. */
export const DYNAMODB_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
] as const;

/** Seconds a client is told to wait when DynamoDB throttles or cannot be reached. */
const RETRY_AFTER_SECONDS = 1;

export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
    // Numbers come back as `number` when that is exact, else as `NumberValue` (38 digits).
    unmarshallOptions: { wrapNumbers: fromDecimalText },
  });
}

export function createDynamoDbStore(db: DynamoDBDocumentClient, tableName: string): ItemStore {
  const key = (userId: string) => ({ user_id: userId });

  async function get(userId: string): Promise<VersionedItem | undefined> {
    const { Item: stored } = await send(() =>
      db.send(new GetCommand({ TableName: tableName, Key: key(userId), ConsistentRead: true })),
    );
    return stored === undefined ? undefined : fromStored(stored);
  }

  /** After a conditional write failed: was the item missing (404) or another version (412)? */
  async function whyConditionFailed(userId: string, expected: ExpectedVersions): Promise<never> {
    const current = expected === undefined ? undefined : await get(userId);
    if (current === undefined) throw new NotFoundError(`No item has user_id ${quote(userId)}.`);
    throw new PreconditionFailedError(
      `If-Match does not match the item's current version, "${current.version}"; read it again and retry.`,
    );
  }

  return {
    get,

    async create(item) {
      try {
        await send(() =>
          db.send(
            new PutCommand({
              TableName: tableName,
              Item: { ...item, [VERSION_ATTRIBUTE]: 1 },
              ConditionExpression: 'attribute_not_exists(#pk)',
              ExpressionAttributeNames: { '#pk': 'user_id' },
            }),
          ),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          throw new ConflictError(`An item with user_id ${quote(item.user_id)} already exists.`);
        }
        throw error;
      }
      return { item, version: 1 };
    },

    async update(userId, attribute, value, expected): Promise<UpdatedItem> {
      const condition = versionCondition(expected);
      try {
        // ALL_OLD, not ALL_NEW: the event carries the item before and after, and "after" is
        // exactly "before" with this one attribute set and the version bumped.
        const { Attributes } = await send(() =>
          db.send(
            new UpdateCommand({
              TableName: tableName,
              Key: key(userId),
              UpdateExpression:
                'SET #attr = :value, #version = if_not_exists(#version, :zero) + :one',
              ConditionExpression: `attribute_exists(#pk)${condition.expression}`,
              ExpressionAttributeNames: {
                '#pk': 'user_id',
                '#attr': attribute,
                '#version': VERSION_ATTRIBUTE,
              },
              ExpressionAttributeValues: {
                ':value': value,
                ':zero': 0,
                ':one': 1,
                ...condition.values,
              },
              ReturnValues: 'ALL_OLD',
            }),
          ),
        );
        const previous = fromStored(Attributes ?? {});
        return {
          item: { ...previous.item, [attribute]: value } as Item,
          version: previous.version + 1,
          previous,
        };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          return whyConditionFailed(userId, expected);
        }
        throw error;
      }
    },

    async delete(userId, expected) {
      const condition = versionCondition(expected);
      try {
        const { Attributes } = await send(() =>
          db.send(
            new DeleteCommand({
              TableName: tableName,
              Key: key(userId),
              ConditionExpression: `attribute_exists(#pk)${condition.expression}`,
              ExpressionAttributeNames: {
                '#pk': 'user_id',
                ...(condition.expression === '' ? {} : { '#version': VERSION_ATTRIBUTE }),
              },
              ...(condition.expression === ''
                ? {}
                : { ExpressionAttributeValues: condition.values }),
              ReturnValues: 'ALL_OLD',
            }),
          ),
        );
        return fromStored(Attributes ?? {});
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          return whyConditionFailed(userId, expected);
        }
        throw error;
      }
    },
  };
}

/**
 * The `If-Match` part of a condition. Items written before versions existed have none; they
 * are version 0, so `If-Match: "0"` matches them.
 */
function versionCondition(expected: ExpectedVersions): {
  expression: string;
  values: Record<string, number>;
} {
  if (expected === undefined) return { expression: '', values: {} };
  if (expected.length === 0) {
    // Nothing can match; the write fails and `whyConditionFailed` says 404 or 412.
    return { expression: ' AND #version = :never', values: { ':never': -1 } };
  }
  const values = Object.fromEntries(expected.map((v, i) => [`:v${i}`, v]));
  const list = `#version IN (${Object.keys(values).join(', ')})`;
  const expression = expected.includes(0) ? `(attribute_not_exists(#version) OR ${list})` : list;
  return { expression: ` AND ${expression}`, values };
}

function fromStored(stored: Record<string, unknown>): VersionedItem {
  const { [VERSION_ATTRIBUTE]: version, ...item } = stored;
  return { item: item as Item, version: typeof version === 'number' ? version : 0 };
}

/** Runs a DynamoDB call, turning what the client can do something about into API errors. */
async function send<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw translate(error);
  }
}

const UNAVAILABLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

function translate(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof ConditionalCheckFailedException) return error;
  const { code, $metadata } = error as Partial<DynamoDBServiceException> & { code?: string };
  const status = $metadata?.httpStatusCode;
  if (
    UNAVAILABLE.has(error.name) ||
    (code !== undefined && NETWORK_CODES.has(code)) ||
    (status !== undefined && status >= 500)
  ) {
    return new ServiceUnavailableError(
      'The database is busy or unreachable; retry after the time in Retry-After.',
      RETRY_AFTER_SECONDS,
      { cause: error },
    );
  }
  if (error.name === 'ValidationException') {
    if (/item size|size has exceeded|exceeds the maximum/i.test(error.message)) {
      return new PayloadTooLargeError('The item is larger than DynamoDB holds (400 KB).', {
        cause: error,
      });
    }
    return new ValidationError(
      [{ pointer: '', detail: 'cannot be stored in DynamoDB' }],
      'DynamoDB refused the item; check its attribute names, nesting and sizes.',
    );
  }
  return error;
}

/** The table's key, as Terraform and `ensureTable` create it. */
export const TABLE_KEY = { name: 'user_id', type: 'S' } as const;
