/**
 * The only code that speaks DynamoDB. Every write is conditional, every attribute name goes
 * through `ExpressionAttributeNames`, and the item's version lives in a reserved attribute.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { isTransientAwsError } from '../aws/transient.js';
import { fromDecimalText } from '../core/json.js';
import {
  type ExpectedVersions,
  type Item,
  ItemExistsError,
  ItemNotFoundError,
  type ItemStore,
  StoreRefusedError,
  StoreUnavailableError,
  type UpdatedItem,
  type VersionedItem,
  VersionMismatchError,
} from '../core/ports.js';
import { RESERVED_PREFIX } from '../core/storable.js';

/** Where an item's version is kept: a name clients cannot write (see `RESERVED_PREFIX`). */
export const VERSION_ATTRIBUTE = `${RESERVED_PREFIX}version`;

/** The DynamoDB actions this store calls; Terraform grants exactly these. */
export const DYNAMODB_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
] as const;

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

  /** After a conditional write failed: was the item missing, or at another version? */
  async function whyConditionFailed(userId: string, expected: ExpectedVersions): Promise<never> {
    const current = expected === undefined ? undefined : await get(userId);
    if (current === undefined) throw new ItemNotFoundError(userId);
    throw new VersionMismatchError(userId, current.version);
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
          throw new ItemExistsError(item.user_id);
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

/** Runs a DynamoDB call; what fails is said in the store's terms (`ports.ts`). */
async function send<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw translate(error);
  }
}

function translate(error: unknown): unknown {
  if (error instanceof ConditionalCheckFailedException) return error;
  if (isTransientAwsError(error)) return new StoreUnavailableError({ cause: error });
  if (error instanceof Error && error.name === 'ValidationException') {
    // DynamoDB's words for an item over 400 KB; anything else it refuses is unexpected, since
    // the core checks items first: the core logs it with this cause.
    const tooLarge = /item size|size has exceeded|exceeds the maximum/i.test(error.message);
    return new StoreRefusedError(tooLarge ? 'item-too-large' : 'invalid', { cause: error });
  }
  return error;
}

/** The table's key, as Terraform and `ensureTable` create it. */
export const TABLE_KEY = { name: 'user_id', type: 'S' } as const;
