/**
 * The only code that speaks DynamoDB. Every write is conditional, every attribute name goes
 * through `ExpressionAttributeNames`, and the item's validator (version and incarnation, see
 * `Validator`) lives in reserved attributes, compared whole in every condition.
 *
 * Items other programs write into the table are read faithfully: every DynamoDB type has one
 * JSON shape (`toJsonValue`), and an item whose `@version` is missing or not a whole number,
 * or whose `@incarnation` is not one this store writes, is at version 0 without incarnation,
 * written over conditionally on those exact values, so optimistic concurrency holds for it too.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { isTransientAwsError } from '../aws/transient.js';
import { fromDecimalText, NumberValue, setMember } from '../core/json.js';
import {
  applyChange,
  type DocumentPath,
  INCARNATION,
  type Item,
  type ItemChange,
  ItemExistsError,
  ItemNotFoundError,
  type ItemStore,
  meetsCondition,
  newIncarnation,
  StoreRefusedError,
  StoreUnavailableError,
  type UpdatedItem,
  type Validator,
  type VersionCondition,
  type VersionedItem,
  VersionMismatchError,
  writeContention,
} from '../core/ports.js';
import { RESERVED_PREFIX } from '../core/storable.js';

/** Where an item's version is kept: a name clients cannot write (see `RESERVED_PREFIX`). */
export const VERSION_ATTRIBUTE = `${RESERVED_PREFIX}version`;

/**
 * Where an item's incarnation is kept (see `Validator`): written when the item is created, and
 * by the first write to an item that has none; never changed after.
 */
export const INCARNATION_ATTRIBUTE = `${RESERVED_PREFIX}incarnation`;

/** The DynamoDB actions this store calls; Terraform grants exactly these. */
export const DYNAMODB_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Scan',
] as const;

/**
 * How numbers are read: as `number` when that is exact, else as `NumberValue` (38 digits). A
 * function, so that each user gets its own object: `@aws-sdk/lib-dynamodb` changes the options
 * it is given (it sets `convertWithoutMapWrapper` on them), which read with `unmarshall` would
 * take each attribute of an item for a type tag.
 */
const unmarshallOptions = () => ({ wrapNumbers: fromDecimalText });

/** How many times a write is tried when the item changes under it between explanations. */
const MAX_WRITE_ROUNDS = 3;

export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
    unmarshallOptions: unmarshallOptions(),
  });
}

type Stored = Record<string, unknown>;

/** A conditional write: its condition, and what it needs besides the key. */
interface Guard {
  readonly expression: string;
  readonly names: Record<string, string>;
  readonly values: Record<string, unknown>;
  /**
   * How an update sets the metadata (the version counted on from a number, or 1 over a foreign
   * one; the incarnation kept, or a new one), and the validator that gives, from the item as it
   * was.
   */
  readonly next: {
    readonly set: readonly string[];
    readonly values: Record<string, unknown>;
    readonly validator: (old: Stored) => Validator;
  };
}

export function createDynamoDbStore(db: DynamoDBDocumentClient, tableName: string): ItemStore {
  const key = (userId: string) => ({ user_id: userId });

  async function read(userId: string): Promise<Stored | undefined> {
    const { Item: stored } = await send(() =>
      db.send(new GetCommand({ TableName: tableName, Key: key(userId), ConsistentRead: true })),
    );
    return stored;
  }

  /**
   * Runs `write` under `condition`: first as for an item the API versions, then, if the item
   * turns out to carry a foreign `@version`, conditioned on that exact value. Why a write was
   * refused is read from what DynamoDB returned with the refusal
   * (`ReturnValuesOnConditionCheckFailure`), or, from an engine that returns nothing, from a
   * read afterwards that names no version it cannot vouch for.
   */
  async function conditionalWrite<T>(
    userId: string,
    condition: VersionCondition,
    write: (guard: Guard) => Promise<T>,
  ): Promise<T> {
    if (condition.ifNoneMatch === '*') {
      // "Only if there is no item": an update or delete of one never meets it.
      const current = await read(userId);
      if (current === undefined) throw new ItemNotFoundError(userId);
      throw new VersionMismatchError(userId, metadataOf(current).validator, condition);
    }
    // The incarnation an item without one gets from this write.
    const fresh = newIncarnation();
    let guard = versionedGuard(condition, fresh);
    for (let round = 1; ; round++) {
      try {
        return await write(guard);
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const returned =
          error.Item === undefined
            ? undefined
            : unmarshall(error.Item as Record<string, AttributeValue>, unmarshallOptions());
        const current = returned ?? (await read(userId));
        if (current === undefined) throw new ItemNotFoundError(userId);
        const { validator, foreign } = metadataOf(current);
        if (!meetsCondition(condition, validator)) {
          throw new VersionMismatchError(userId, validator, condition);
        }
        // It meets the condition now: it changed under this write (made, or deleted and made
        // again, since the write found none or another state), or its metadata is not what
        // this store writes. Either way the write is tried again, still under the condition.
        if (round >= MAX_WRITE_ROUNDS) throw writeContention(userId, condition);
        guard = foreign ? foreignGuard(current, fresh) : versionedGuard(condition, fresh);
      }
    }
  }

  return {
    async get(userId) {
      const stored = await read(userId);
      return stored === undefined ? undefined : fromStored(stored);
    },

    async create(item) {
      const incarnation = newIncarnation();
      try {
        await send(() =>
          db.send(
            new PutCommand({
              TableName: tableName,
              Item: { ...item, [VERSION_ATTRIBUTE]: 1, [INCARNATION_ATTRIBUTE]: incarnation },
              ConditionExpression: 'attribute_not_exists(#pk)',
              ExpressionAttributeNames: { '#pk': 'user_id' },
            }),
          ),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // The item this write made, if an earlier attempt of it made it: the incarnation is
        // this write's own (12 random characters), so no other write can have stored it.
        const made =
          sentAgain(error) && (await read(item.user_id))?.[INCARNATION_ATTRIBUTE] === incarnation;
        if (!made) throw new ItemExistsError(item.user_id);
      }
      return { item, version: 1, incarnation };
    },

    update(userId, change, condition): Promise<UpdatedItem> {
      return conditionalWrite(userId, condition, async (guard) => {
        let update = updateOf(change, guard);
        if (update.expression.length > MAX_EXPRESSION_BYTES) {
          // More members than one expression names: each top-level attribute the change
          // touches is set whole, to its value merged from the item as stored (sets, binary and
          // numbers as they are), on condition that the item is still as read.
          const stored = await read(userId);
          if (stored === undefined) throw new ItemNotFoundError(userId);
          update = updateOf(wholeAttributes(stored, change), guard, stored);
          if (update.expression.length > MAX_EXPRESSION_BYTES) {
            throw new StoreRefusedError('change-too-large', {
              cause: new Error(
                `the update expression is ${update.expression.length} bytes, even with whole attributes; DynamoDB takes ${MAX_EXPRESSION_BYTES}`,
              ),
            });
          }
        }
        // ALL_OLD, not ALL_NEW: the event carries the item before and after, and "after" is
        // exactly "before" with the change made and the version bumped.
        const { Attributes } = await send(() =>
          db.send(
            new UpdateCommand({
              TableName: tableName,
              Key: key(userId),
              UpdateExpression: update.expression,
              ConditionExpression: update.condition,
              ExpressionAttributeNames: update.names,
              ExpressionAttributeValues: update.values,
              ReturnValues: 'ALL_OLD',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        );
        const previous = fromStored(Attributes ?? {});
        return {
          item: applyChange(previous.item, change),
          ...guard.next.validator(Attributes ?? {}),
          previous,
        };
      });
    },

    async scan({ limit, after }) {
      // DynamoDB stops at `Limit` items or 1 MB read, whichever comes first, and then gives a
      // LastEvaluatedKey (at `Limit` even when nothing is left).
      const { Items = [], LastEvaluatedKey } = await send(() =>
        db.send(
          new ScanCommand({
            TableName: tableName,
            Limit: limit,
            // Strongly consistent, so that an item that existed before the listing is seen.
            ConsistentRead: true,
            ...(after === undefined ? {} : { ExclusiveStartKey: key(after) }),
          }),
        ),
      );
      const items = Items.map(fromStored);
      const stoppedAt = LastEvaluatedKey?.user_id;
      return typeof stoppedAt === 'string' ? { items, resumeAfter: stoppedAt } : { items };
    },

    delete(userId, condition) {
      return conditionalWrite(userId, condition, async (guard) => {
        const { Attributes } = await send(() =>
          db.send(
            new DeleteCommand({
              TableName: tableName,
              Key: key(userId),
              ConditionExpression: guard.expression,
              ExpressionAttributeNames: guard.names,
              ...(Object.keys(guard.values).length === 0
                ? {}
                : { ExpressionAttributeValues: guard.values }),
              ReturnValues: 'ALL_OLD',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        );
        return fromStored(Attributes ?? {});
      });
    },
  };
}

/** The names every guard's expressions use. */
const NAMES = {
  '#pk': 'user_id',
  '#version': VERSION_ATTRIBUTE,
  '#incarnation': INCARNATION_ATTRIBUTE,
};

/**
 * The condition for an item this store versions: it exists, its `@version` is a number or
 * absent (version 0), its `@incarnation` a string or absent, and it meets `condition`
 * (`ifNoneMatch: '*'` is handled before), each validator compared whole.
 *
 * @param fresh the incarnation an item without one gets
 */
function versionedGuard(condition: VersionCondition, fresh: string): Guard {
  const clauses = [
    'attribute_exists(#pk)',
    '(attribute_not_exists(#version) OR attribute_type(#version, :number))',
    '(attribute_not_exists(#incarnation) OR attribute_type(#incarnation, :string))',
  ];
  const values: Record<string, unknown> = { ':number': 'N', ':string': 'S' };
  // True when the item is in one of these states. One clause per validator (at most
  // `MAX_ENTITY_TAGS`): DynamoDB compares no pairs with `IN`.
  const anyOf = (validators: readonly Validator[], prefix: string) => {
    const states = validators.map(({ version, incarnation }, i) => {
      const v = `:${prefix}${i}`;
      values[v] = version;
      if (incarnation !== undefined) {
        values[`${v}i`] = incarnation;
        return `(#incarnation = ${v}i AND #version = ${v})`;
      }
      // A missing `@version` is version 0, which DynamoDB does not compare equal to 0.
      const at =
        version === 0 ? `(attribute_not_exists(#version) OR #version = ${v})` : `#version = ${v}`;
      return `(attribute_not_exists(#incarnation) AND ${at})`;
    });
    // DynamoDB refuses parentheses around what has them already.
    return states.length === 1 ? (states[0] as string) : `(${states.join(' OR ')})`;
  };
  const { ifMatch, ifNoneMatch } = condition;
  if (ifMatch !== undefined) {
    if (ifMatch.length === 0) {
      values[':never'] = -1;
      clauses.push('#version = :never');
    } else {
      clauses.push(anyOf(ifMatch, 'm'));
    }
  }
  if (Array.isArray(ifNoneMatch) && ifNoneMatch.length > 0) {
    clauses.push(`NOT ${anyOf(ifNoneMatch, 'n')}`);
  }
  return {
    expression: clauses.join(' AND '),
    names: NAMES,
    values,
    next: {
      set: [
        '#version = if_not_exists(#version, :zero) + :one',
        '#incarnation = if_not_exists(#incarnation, :fresh)',
      ],
      values: { ':zero': 0, ':one': 1, ':fresh': fresh },
      validator: (old) => {
        const version = old[VERSION_ATTRIBUTE];
        return metadataOf({
          [VERSION_ATTRIBUTE]: typeof version === 'number' ? version + 1 : (version ?? 1),
          [INCARNATION_ATTRIBUTE]: old[INCARNATION_ATTRIBUTE] ?? fresh,
        }).validator;
      },
    },
  };
}

/**
 * The condition for an item whose metadata another program wrote as something else than this
 * store does (version 0 here): exactly those values, so that a concurrent write of them fails.
 * The write makes it version 1 of a new incarnation. The caller has checked that version 0
 * meets the condition.
 */
function foreignGuard(current: Stored, fresh: string): Guard {
  const values: Record<string, unknown> = {};
  const clauses = ['attribute_exists(#pk)'];
  for (const [name, attribute] of [
    ['#version', VERSION_ATTRIBUTE],
    ['#incarnation', INCARNATION_ATTRIBUTE],
  ] as const) {
    const value = current[attribute];
    if (value === undefined) {
      clauses.push(`attribute_not_exists(${name})`);
    } else {
      values[`:foreign${name.slice(1)}`] = value;
      clauses.push(`${name} = :foreign${name.slice(1)}`);
    }
  }
  return {
    expression: clauses.join(' AND '),
    names: NAMES,
    values,
    next: {
      set: ['#version = :one', '#incarnation = :fresh'],
      values: { ':one': 1, ':fresh': fresh },
      validator: () => ({ version: 1, incarnation: fresh }),
    },
  };
}

/**
 * "The maximum length of any expression string is 4 KB" (DynamoDB Developer Guide, "Service,
 * account, and table quotas", Expression parameters); DynamoDB refuses a longer one. The other
 * expression limits are not reached: an update's SETs and REMOVEs are not operators (of which
 * 300 are allowed), a document path is no deeper than the item (32 levels), and the values and
 * names substituted (2 MB at most) are those of an item (400 KB) and of members it has.
 */
const MAX_EXPRESSION_BYTES = 4096;

/** An UpdateItem's expressions and what they substitute. */
interface Update {
  /** ASCII (placeholders only), so its length is its size in bytes. */
  readonly expression: string;
  readonly condition: string;
  readonly names: Record<string, string>;
  readonly values: Record<string, unknown>;
}

/**
 * The UpdateItem that makes `change` under `guard`: each member at its document path
 * (`SET #a0.#a1=:a0`), so DynamoDB itself leaves every member the change does not name as it
 * is. Each name is given one placeholder, and the expression has no spaces to spare: every
 * byte counts towards `MAX_EXPRESSION_BYTES`. With `asRead`, the write is also conditioned on
 * the item's `@version` being exactly what that read found (absent included).
 */
function updateOf(change: ItemChange, guard: Guard, asRead?: Stored): Update {
  const names = new Map<string, string>();
  const values: Record<string, unknown> = {};
  const placeholder = (name: string) => {
    let alias = names.get(name);
    if (alias === undefined) {
      alias = `#a${names.size.toString(36)}`;
      names.set(name, alias);
    }
    return alias;
  };
  const path = (at: DocumentPath) => at.map(placeholder).join('.');
  // Counted, not read back from `values` with `Object.keys`: that made a change of n members
  // n² work, minutes of CPU for the 50,000 attributes a 400 KB merge patch can name.
  let valueCount = 0;
  const value = (v: unknown) => {
    const alias = `:a${(valueCount++).toString(36)}`;
    values[alias] = v;
    return alias;
  };
  const set = change.set.map((member) => `${path(member.path)}=${value(member.value)}`);
  const remove = change.remove.map(path);
  let condition = guard.expression;
  if (asRead !== undefined) {
    // Still the state that was read: the same version of the same incarnation.
    const asReadState = (
      [
        ['#version', VERSION_ATTRIBUTE],
        ['#incarnation', INCARNATION_ATTRIBUTE],
      ] as const
    ).map(([alias, attribute]) => {
      const read = asRead[attribute];
      return read === undefined ? `attribute_not_exists(${alias})` : `${alias}=${value(read)}`;
    });
    condition = `(${condition}) AND ${asReadState.join(' AND ')}`;
  }
  return {
    expression: [
      `SET ${[...set, ...guard.next.set].join(',')}`,
      ...(remove.length === 0 ? [] : [`REMOVE ${remove.join(',')}`]),
    ].join(' '),
    condition,
    names: { ...guard.names, ...Object.fromEntries([...names].map(([n, a]) => [a, n])) },
    values: { ...guard.values, ...guard.next.values, ...values },
  };
}

/**
 * `change` as a change of whole top-level attributes: each attribute it touches set to its
 * value with the change made in what is `stored` (as the document client read it: sets, binary
 * and exact numbers kept), or removed when the change removed it.
 */
function wholeAttributes(stored: Stored, change: ItemChange): ItemChange {
  const merged = applyChange(stored, change);
  const paths = [...change.set.map((member) => member.path), ...change.remove];
  const attributes = [...new Set(paths.map((path) => path[0] as string))];
  return {
    set: attributes
      .filter((name) => Object.hasOwn(merged, name))
      .map((name) => ({ path: [name], value: merged[name] })),
    remove: attributes.filter((name) => !Object.hasOwn(merged, name)).map((name) => [name]),
  };
}

/**
 * The validator of a stored item: its `@version` and `@incarnation` when they are what this
 * store writes (a whole number, absent meaning 0; `INCARNATION` characters, or absent);
 * otherwise version 0 without incarnation, `foreign`.
 */
function metadataOf(stored: Stored): { validator: Validator; foreign: boolean } {
  const version = stored[VERSION_ATTRIBUTE] ?? 0;
  const incarnation = stored[INCARNATION_ATTRIBUTE];
  const ours =
    typeof version === 'number' &&
    Number.isSafeInteger(version) &&
    version >= 0 &&
    (incarnation === undefined ||
      (typeof incarnation === 'string' && INCARNATION.test(incarnation)));
  if (!ours) return { validator: { version: 0 }, foreign: true };
  return {
    validator: incarnation === undefined ? { version } : { version, incarnation },
    foreign: false,
  };
}

function fromStored(stored: Stored): VersionedItem {
  const {
    [VERSION_ATTRIBUTE]: _version,
    [INCARNATION_ATTRIBUTE]: _incarnation,
    ...attributes
  } = stored;
  return { item: toJsonValue(attributes) as Item, ...metadataOf(stored).validator };
}

/**
 * A value as the document client reads it, in the one JSON shape of its DynamoDB type:
 * S string, N number (exact, `NumberValue` past what a double holds), BOOL boolean, NULL null,
 * M object, L array; the types JSON lacks: SS, NS and BS arrays (sorted, as sets have no
 * order), B and BS members base64 strings (RFC 4648 §4).
 */
export function toJsonValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Set) return [...value].map(toJsonValue).sort(compareMembers);
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (typeof value === 'object' && value !== null && !(value instanceof NumberValue)) {
    const out: Record<string, unknown> = {};
    for (const [name, member] of Object.entries(value)) setMember(out, name, toJsonValue(member));
    return out;
  }
  return value;
}

/** Set members in order: numbers by value, strings (and base64) by UTF-16 code units. */
function compareMembers(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const x = Number(a instanceof NumberValue ? a.value : a);
  const y = Number(b instanceof NumberValue ? b.value : b);
  return x - y;
}

/**
 * Whether the AWS SDK sent the refused write more than once, so that the condition may have
 * refused the write's own earlier attempt: DynamoDB can apply a write whose answer never
 * reaches the caller (a timeout, a reset connection, a 500, which the DynamoDB Developer
 * Guide's "Error handling" lists as expected and to be retried), and the SDK's retry then
 * meets the item that attempt wrote.
 */
function sentAgain(error: ConditionalCheckFailedException): boolean {
  return (error.$metadata.attempts ?? 1) > 1;
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
