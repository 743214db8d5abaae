/**
 * JSON Merge Patch (RFC 7396) of an item: what `PATCH` with `application/merge-patch+json`
 * does. The patch is merged into the item as §2's `MergePatch(Target, Patch)` says: a member
 * whose value is `null` removes the attribute, an object is merged into the attribute
 * (recursively; a target that is not an object becomes `{}` first), any other value (arrays
 * included) replaces it.
 *
 * An item is always an object and the patch names it by `user_id`, which by the same rule
 * leaves the key as it is; so the whole patch comes down to a change of the item's top-level
 * attributes (`ItemChange`), written in one conditional write.
 */
import { NumberValue } from './json.js';
import type { Item, ItemChange } from './ports.js';

/**
 * `MergePatch(target, patch)` of RFC 7396 §2, without changing either: the value `target` becomes.
 * Numbers a double cannot hold (`NumberValue`) are values, not objects.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const merged: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete merged[name];
    else merged[name] = mergePatch(merged[name], value);
  }
  return merged;
}

/**
 * The change of `item`'s top-level attributes that merging `patch` into it makes: each member
 * of the patch but `user_id` is an attribute to remove (`null`) or to set to the merged value.
 * A patch of `user_id` alone changes nothing, and is still a write.
 */
export function mergeChange(item: Item, patch: Readonly<Record<string, unknown>>): ItemChange {
  const set: Record<string, unknown> = {};
  const remove: string[] = [];
  const current = item as Readonly<Record<string, unknown>>;
  for (const [name, value] of Object.entries(patch)) {
    if (name === 'user_id') continue;
    if (value === null) remove.push(name);
    else set[name] = mergePatch(Object.hasOwn(current, name) ? current[name] : undefined, value);
  }
  return { set, remove };
}

/** A JSON object: not `null`, an array or an exact number. */
function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof NumberValue)
  );
}
