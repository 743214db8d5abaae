/**
 * JSON Merge Patch (RFC 7396) of an item: what `PATCH` with `application/merge-patch+json`
 * does. The patch is merged into the item as §2's `MergePatch(Target, Patch)` says: a member
 * whose value is `null` removes the attribute, an object is merged into the attribute
 * (recursively; a target that is not an object becomes `{}` first), any other value (arrays
 * included) replaces it.
 *
 * An item is always an object and the patch names it by `user_id`, which by the same rule
 * leaves the key as it is; so the whole patch comes down to a change of the item's members
 * (`ItemChange`), written in one conditional write. Where the patch merges into a map the item
 * has, the change names the members the patch names, at their paths, never the map: §2 leaves
 * the target's other members unchanged, and rewriting them from their JSON view would turn a
 * set or binary member another program stored into a list or a string.
 */
import { NumberValue, setMember } from './json.js';
import type { DocumentPath, Item, ItemChange } from './ports.js';

/**
 * `MergePatch(target, patch)` of RFC 7396 §2, without changing either: the value `target` becomes.
 * Numbers a double cannot hold (`NumberValue`) are values, not objects.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const merged: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete merged[name];
    else
      setMember(
        merged,
        name,
        mergePatch(Object.hasOwn(merged, name) ? merged[name] : undefined, value),
      );
  }
  return merged;
}

/**
 * The change that merging `patch` into `item` makes, member by member: where a member of the
 * patch is an object and the item has a map there, the change goes into that map; elsewhere
 * the member is set to its merged value (`mergePatch` into nothing: the patch's value without
 * its `null`s), or removed when it is `null` and the item has it (removing what is not there
 * changes nothing). `user_id` is skipped: it names the item. A patch of `user_id` alone changes
 * nothing, and is still a write.
 */
export function mergeChange(item: Item, patch: Readonly<Record<string, unknown>>): ItemChange {
  const set: { path: DocumentPath; value: unknown }[] = [];
  const remove: DocumentPath[] = [];
  const merge = (
    target: Readonly<Record<string, unknown>>,
    members: Readonly<Record<string, unknown>>,
    at: DocumentPath,
  ) => {
    for (const [name, value] of Object.entries(members)) {
      if (at.length === 0 && name === 'user_id') continue;
      const path = [...at, name];
      const current = Object.hasOwn(target, name) ? target[name] : undefined;
      if (value === null) {
        if (current !== undefined) remove.push(path);
      } else if (isObject(value) && isObject(current)) {
        merge(current, value, path);
      } else {
        set.push({ path, value: mergePatch(undefined, value) });
      }
    }
  };
  merge(item as Readonly<Record<string, unknown>>, patch, []);
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
