/**
 * The contract's `Item` (`components.schemas.Item`) as the API applies it to writes, beyond
 * what each request body's own schema says: the seed's PATCH sets an attribute whose value must
 * fit what `Item` says of that name (its property, a matching pattern property, or
 * `additionalProperties`), and a merge patch must make an item `Item` allows, as must every
 * write of a whole item (README "Make it yours"). The generated requests and the lifecycle
 * draw their attributes from here, and the run judges a refusal by the item a write would make.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Contract, Schema } from './contract.js';

/** Where the item schema is in the document. */
export const ITEM_REF = '#/components/schemas/Item';

/** The media type of a JSON Merge Patch (RFC 7396 §4). */
export const MERGE_PATCH = 'application/merge-patch+json';

export interface ItemSchema {
  /** `#/components/schemas/Item`. */
  readonly ref: string;
  /** The names `Item` declares (`properties`), the key left out, in document order. */
  readonly declared: readonly string[];
  /** Whether names beyond `declared` may be set (`additionalProperties` is not `false`). */
  readonly open: boolean;
  /**
   * What `Item` says a value of the top-level attribute `name` is: its property schema, the
   * first matching pattern property's, or `additionalProperties` (`{}` for `true` or absent);
   * `undefined` when `Item` does not allow the name. Whole-item rules (`anyOf`, ...) are the
   * whole item's check, not this.
   */
  schemaFor(name: string): Schema | undefined;
}

/**
 * @throws Error when the document has no `components.schemas.Item`: the API keeps every stored
 *   item to it, and the runner makes its items from it.
 */
export function readItemSchema(contract: Contract, keyName: string): ItemSchema {
  const document = contract.document as { components?: { schemas?: Record<string, unknown> } };
  const raw = document.components?.schemas?.Item;
  if (raw === undefined) {
    throw new Error(
      `the contract has no ${ITEM_REF}: the items the runner writes are made from it`,
    );
  }
  const schema = contract.resolve(raw as Schema);
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const patterns = Object.entries((schema.patternProperties ?? {}) as Record<string, Schema>);
  const extra = schema.additionalProperties;
  return {
    ref: ITEM_REF,
    declared: Object.keys(properties).filter((name) => name !== keyName),
    open: extra !== false,
    schemaFor(name) {
      if (Object.hasOwn(properties, name)) return properties[name];
      const pattern = patterns.find(([source]) => new RegExp(source, 'u').test(name));
      if (pattern !== undefined) return pattern[1];
      if (extra === false) return undefined;
      return typeof extra === 'object' && extra !== null ? (extra as Schema) : {};
    },
  };
}

/**
 * `MergePatch(target, patch)` of RFC 7396 §2, without changing either: a member whose value is
 * `null` removes the attribute, an object is merged into it (a target that is not an object
 * becomes `{}` first), any other value (arrays included) replaces it.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const merged: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete merged[name];
    else merged[name] = mergePatch(merged[name], value);
  }
  return merged;
}

/**
 * The item a write makes of `current`: the seed's PATCH (`{updatedKey, updatedValue}` as
 * `application/json`) sets one attribute, a merge patch merges. `undefined` for any other
 * request, or a body that is neither.
 */
export function itemAfter(
  current: Readonly<Record<string, unknown>>,
  mediaType: string,
  body: unknown,
): Record<string, unknown> | undefined {
  if (!isPlainObject(body)) return undefined;
  if (mediaType === MERGE_PATCH) return mergePatch(current, body) as Record<string, unknown>;
  if (typeof body.updatedKey === 'string' && 'updatedValue' in body) {
    return { ...current, [body.updatedKey]: body.updatedValue };
  }
  return undefined;
}

/** Whether an update body is the seed's one-attribute shape (`updatedKey`, `updatedValue`). */
export function isAttributeUpdate(schema: Schema): boolean {
  const properties = (schema.properties ?? {}) as Record<string, unknown>;
  return 'updatedKey' in properties && 'updatedValue' in properties;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `values` without repeats (deep equality), in order. */
export function distinct(values: readonly unknown[]): unknown[] {
  const kept: unknown[] = [];
  for (const value of values) if (!kept.some((k) => isDeepStrictEqual(k, value))) kept.push(value);
  return kept;
}
