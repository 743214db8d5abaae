/**
 * What the table should hold, kept from what the API answered, and the table as it is, read
 * past the API. Tests that generate or race requests check one against the other: every
 * acknowledged write is there, nothing refused left a trace.
 */
import { type AttributeValue, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type JsonValue, NumberValue, toDecimal } from '../../src/core/json.js';
import { INCARNATION_ATTRIBUTE, toJsonValue, VERSION_ATTRIBUTE } from '../../src/store/dynamodb.js';
import type { TestTable } from './engine.js';

/** An item as the API said it stored it, with its `ETag` and the version that carries. */
export interface StoredItem {
  readonly item: JsonValue;
  readonly version: number;
  readonly etag: string;
}

/**
 * A form of a JSON value in which equal values are equal: numbers compared as decimals
 * (`1.50`, `1.5` and `15e-1` are one number; `NumberValue`s hold the digits a double cannot),
 * object keys in order. Strings and numbers are tagged so `"1"` never equals `1`.
 */
export function canonical(value: unknown): unknown {
  if (value instanceof NumberValue) return `n:${decimal(value.value)}`;
  if (typeof value === 'number') return `n:${decimal(String(value))}`;
  if (typeof value === 'string') return `s:${value}`;
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const out: Record<string, unknown> = Object.create(null);
    for (const [key, v] of entries) out[key] = canonical(v);
    return out;
  }
  return value;
}

function decimal(text: string): string {
  const d = toDecimal(text);
  if (d === undefined) return `?${text}`;
  if (d.digits === '') return '0';
  return `${text.trimStart().startsWith('-') ? '-' : ''}${d.digits}e${d.exponent}`;
}

/**
 * An item as the table holds it, in the JSON shape the API answers with (sets as sorted arrays,
 * binary as base64), its version and its `ETag`: `@version` when a whole number (absent: 0) and
 * `@incarnation` when base64url, `"<version>.<incarnation>"`; else version 0, `"0"`.
 */
function fromStored(stored: Record<string, unknown>): StoredItem {
  const {
    [VERSION_ATTRIBUTE]: version = 0,
    [INCARNATION_ATTRIBUTE]: incarnation,
    ...item
  } = stored;
  const whole = typeof version === 'number' && Number.isSafeInteger(version) && version >= 0;
  const token = typeof incarnation === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(incarnation);
  const ours = whole && (incarnation === undefined || token);
  return {
    item: toJsonValue(item) as JsonValue,
    version: ours ? version : 0,
    etag: !ours
      ? '"0"'
      : incarnation === undefined
        ? `"${version}"`
        : `"${version}.${incarnation}"`,
  };
}

/** The item as the table holds it (strongly consistent), past the API. */
export async function readStored(
  table: Pick<TestTable, 'tableName' | 'documentClient'>,
  userId: string,
): Promise<StoredItem | undefined> {
  const { Item } = await table.documentClient.send(
    new GetCommand({ TableName: table.tableName, Key: { user_id: userId }, ConsistentRead: true }),
  );
  return Item === undefined ? undefined : fromStored(Item);
}

/** Every item of the table, by `user_id` (strongly consistent scan, all pages). */
export async function scanStored(table: TestTable): Promise<Map<string, StoredItem>> {
  const all = new Map<string, StoredItem>();
  let start: Record<string, unknown> | undefined;
  for (let page = 0; page < 10_000; page++) {
    const { Items = [], LastEvaluatedKey } = await table.documentClient.send(
      new ScanCommand({
        TableName: table.tableName,
        ConsistentRead: true,
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    for (const stored of Items) all.set(String(stored.user_id), fromStored(stored));
    if (LastEvaluatedKey === undefined) return all;
    start = LastEvaluatedKey;
  }
  throw new Error('the scan did not end within 10,000 pages');
}

/** The model and the table side by side, in the canonical form, for one `toEqual`. */
export function sideBySide(
  model: ReadonlyMap<string, StoredItem>,
  stored: ReadonlyMap<string, StoredItem>,
): { model: unknown; stored: unknown } {
  const form = (m: ReadonlyMap<string, StoredItem>) =>
    [...m.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([id, { item, etag }]) => [id, etag, canonical(item)]);
  return { model: form(model), stored: form(stored) };
}

/**
 * The item as the table holds it, in DynamoDB's own types (strongly consistent, past the API
 * and past the document client), written so tests can compare it whole: binary as UTF-8 text,
 * set members sorted (sets have no order).
 */
export async function readTypedItem(
  table: Pick<TestTable, 'tableName' | 'client'>,
  userId: string,
): Promise<Record<string, unknown> | undefined> {
  const { Item } = await table.client.send(
    new GetItemCommand({
      TableName: table.tableName,
      Key: { user_id: { S: userId } },
      ConsistentRead: true,
    }),
  );
  return Item === undefined ? undefined : typedMembers(Item);
}

function typedMembers(map: Record<string, AttributeValue>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(map).map(([name, value]) => [name, typed(value)]));
}

function typed(value: AttributeValue): unknown {
  const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();
  if (value.B !== undefined) return { B: text(value.B) };
  if (value.BS !== undefined) return { BS: value.BS.map(text).sort() };
  if (value.SS !== undefined) return { SS: [...value.SS].sort() };
  if (value.NS !== undefined) return { NS: [...value.NS].sort() };
  if (value.M !== undefined) return { M: typedMembers(value.M) };
  if (value.L !== undefined) return { L: value.L.map(typed) };
  return value;
}
