/**
 * What the lifecycle sends, made from the contract's `Item`, so that every write it expects to
 * succeed is one the API must take: the item it creates, the attribute its updates set and the
 * values they set, the item a second create must not overwrite, and the merge patch. Each is
 * checked against `Item` (the whole item it makes) and the update's body schema before it is
 * planned.
 *
 * Where `Item` takes them (the shipped, open one does), the values are the runner's own fixed
 * ones: a few types, nested, `null` and non-ASCII text, so that a store that loses one shows
 * it. A typed `Item` gets values generated from its schema (seeded by the run's seed), the
 * fullest of a few items, so that as many attributes as possible make the round trip.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Contract } from './contract.js';
import type { Generator } from './generate.js';
import { distinct, isPlainObject, MERGE_PATCH, mergePatch, readItemSchema } from './item.js';
import type { SchemaCheck } from './schemas.js';

export interface LifecyclePlan {
  /** The item created, its key the run's own. */
  readonly item: Readonly<Record<string, unknown>>;
  /** Another item with the same key, valid: the create that must be refused (409). */
  readonly rival: Readonly<Record<string, unknown>>;
  /**
   * The seed's PATCH: the attribute `key` set to `value` (the update, and the update after the
   * delete), and to `stale`, another value, by the update with the stale ETag (412).
   */
  readonly update: { readonly key: string; readonly value: unknown; readonly stale: unknown };
  /**
   * A merge patch of the updated item (an attribute removed, one set, one map merged into, as
   * far as `Item` allows) and the item it makes; absent when the contract takes no merge patch
   * or `Item` allows no change of the updated item by one.
   */
  readonly merge?: {
    readonly patch: Readonly<Record<string, unknown>>;
    readonly result: Readonly<Record<string, unknown>>;
  };
}

/** An attribute no contract names, set by the updates where `Item` allows any name. */
export const NOTE = 'contract_test_note';
/** Values tried first for an attribute: readable in a failure's printout. */
const PLAIN_VALUES: readonly unknown[] = ['updated', 'lost update'];
/** Items generated for a typed `Item`, the fullest kept. */
const ITEM_CANDIDATES = 12;
/** Values generated per attribute. */
const VALUE_CANDIDATES = 12;

/** The runner's own item for `id`, used where `Item` takes it. */
export function lifecycleItem(id: string): Record<string, unknown> {
  return {
    user_id: id,
    name: 'Contract test',
    visits: 1,
    ratio: 0.25,
    active: true,
    nothing: null,
    tags: ['a', 'b'],
    profile: { city: 'Zürich', scores: [1, 2, 3] },
  };
}

/**
 * @throws Error naming the schema when the contract has no `Item`, when no item valid against
 *   it can be generated (`UnsatisfiableSchemaError`), or when no attribute of the item can be
 *   set to two more values `Item` takes (the updates need them).
 */
export function planLifecycle(options: {
  readonly contract: Contract;
  readonly check: SchemaCheck;
  readonly generator: Generator;
  /** The parameter and body property that name an item, e.g. `user_id`. */
  readonly keyName: string;
  /** The lifecycle item's key. */
  readonly id: string;
}): LifecyclePlan {
  const { contract, check, generator, keyName, id } = options;
  const schema = readItemSchema(contract, keyName);
  const isItem = (value: unknown) => check(schema.ref, value).length === 0;
  const update = contract.operation('updateItem');
  const updateBody = update.body?.content.get('application/json');

  const generated = generator
    .instances(schema.ref, ITEM_CANDIDATES, 'the lifecycle item')
    .filter(isPlainObject)
    .map((value) => ({ ...value, [keyName]: id }))
    .sort((a, b) => leaves(b) - leaves(a));
  const item = [lifecycleItem(id), ...generated].find(isItem);
  if (item === undefined) {
    throw new Error(`no generated item is valid against ${schema.ref} once its key is ${id}`);
  }

  /** Values `Item` takes for the attribute `name`, other than the item's own. */
  const valuesFor = (name: string, current: unknown): unknown[] => {
    const own = schema.schemaFor(name);
    if (own === undefined) return [];
    const drawn = generator.instances(own, VALUE_CANDIDATES, `the Item attribute ${name}`);
    return distinct([...PLAIN_VALUES, ...drawn]).filter(
      (value) => !isDeepStrictEqual(value, current) && check(own, value).length === 0,
    );
  };
  const takesUpdate = (key: string, value: unknown) =>
    updateBody === undefined ||
    check(updateBody, { [keyName]: id, updatedKey: key, updatedValue: value }).length === 0;

  let chosen: LifecyclePlan['update'] | undefined;
  const names = [...(schema.schemaFor(NOTE) === undefined ? [] : [NOTE]), ...schema.declared];
  for (const key of names) {
    const [value, stale] = valuesFor(key, item[key]).filter(
      (v) => takesUpdate(key, v) && isItem({ ...item, [key]: v }),
    );
    if (value !== undefined && stale !== undefined) {
      chosen = { key, value, stale };
      break;
    }
  }
  if (chosen === undefined) {
    throw new Error(
      `no attribute of ${schema.ref} can be set to two other values the item takes: the lifecycle's updates need one`,
    );
  }
  const updated = { ...item, [chosen.key]: chosen.value };
  const merge = update.body?.content.has(MERGE_PATCH) ? planMerge(chosen.key) : undefined;

  return {
    item,
    rival: { ...item, [chosen.key]: chosen.stale },
    update: chosen,
    ...(merge === undefined ? {} : { merge }),
  };

  /** One attribute removed, one set, one map merged into: each where `Item` allows it. */
  function planMerge(updateKey: string): LifecyclePlan['merge'] {
    const patch: Record<string, unknown> = { [keyName]: id };
    const makes = (member: string, value: unknown) =>
      isItem(mergePatch(updated, { ...patch, [member]: value }));
    const attributes = Object.keys(updated).filter((name) => name !== keyName);
    const free = (name: string) => !(name in patch);

    const removed = [updateKey, ...attributes].find((n) => free(n) && makes(n, null));
    if (removed !== undefined) patch[removed] = null;
    for (const name of attributes.filter((n) => free(n) && !isPlainObject(updated[n]))) {
      // A merge patch cannot set `null`: it removes.
      const value = valuesFor(name, updated[name]).find((v) => v !== null && makes(name, v));
      if (value === undefined) continue;
      patch[name] = value;
      break;
    }
    for (const name of attributes.filter((n) => free(n) && isPlainObject(updated[n]))) {
      const map = updated[name] as Record<string, unknown>;
      const [first] = Object.keys(map);
      const own = schema.schemaFor(name) ?? {};
      const changes = [
        ...(first === undefined ? [] : [{ [first]: null, [NOTE]: 'merged' }]),
        ...generator
          .instances(own, VALUE_CANDIDATES, `the Item attribute ${name}`)
          .filter(isPlainObject)
          .map((target) => mergePatchBetween(map, target)),
      ].filter((change) => Object.keys(change).length > 0);
      const change = changes.find((c) => makes(name, c));
      if (change === undefined) continue;
      patch[name] = change;
      break;
    }
    if (Object.keys(patch).length === 1) return undefined;
    return { patch, result: mergePatch(updated, patch) as Record<string, unknown> };
  }
}

/**
 * A merge patch from `source` to `target` (RFC 7396 §2 in reverse), where one can say it: members
 * of `target` that are `null` cannot be set by one, so they are left out.
 */
function mergePatchBetween(
  source: Readonly<Record<string, unknown>>,
  target: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const name of Object.keys(source)) if (!(name in target)) patch[name] = null;
  for (const [name, value] of Object.entries(target)) {
    if (value !== null && !isDeepStrictEqual(source[name], value)) patch[name] = value;
  }
  return patch;
}

/** How many values `value` holds, nested ones counted: how much of a store it exercises. */
function leaves(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + leaves(v), 1);
  if (isPlainObject(value)) return Object.values(value).reduce((n: number, v) => n + leaves(v), 1);
  return 1;
}
