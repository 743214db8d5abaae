/**
 * The `Item` schema of openapi.yaml governs every stored item, whatever wrote it: a POST (its
 * body is an `Item`), the seed's PATCH (the value against what `Item` says of that attribute)
 * and a merge patch (the whole item it makes). With the shipped, open `Item`, anything storable
 * passes; a team that types its items in openapi.yaml gets them kept, on every write path.
 */
import type { ErrorObject } from 'ajv';
import { withDoubles } from './json.js';
import { itemSchema } from './openapi/operations.gen.js';
import type { FieldError } from './problems.js';
import { escapePointer } from './storable.js';
import { describe, listMembers, notAllowedHere } from './validation.js';

/**
 * Whether `Item` says something of the item as a whole (`allOf`, `minProperties`, ...), so that
 * a write of some attributes must check the whole item it makes, not those attributes alone.
 */
export const CHECKS_WHOLE_ITEM = itemSchema.wholeItemKeywords.length > 0;

/** Where a problem with an attribute is reported: its name, and a path inside its value. */
export interface AttributePointers {
  /** For an attribute `Item` does not allow at all. */
  name(attribute: string): string;
  /** For what is wrong inside the attribute's value (`path` is a JSON Pointer, `''` the value). */
  value(attribute: string, path: string): string;
}

/**
 * What `Item` has against setting these top-level attributes to these values, each on its own:
 * its property schema, a matching pattern property, or `additionalProperties`.
 */
export function checkAttributes(
  attributes: Readonly<Record<string, unknown>>,
  pointers: AttributePointers,
): FieldError[] {
  const validate = itemSchema.validateAttributes;
  if (validate(withDoubles(attributes))) return [];
  return (validate.errors ?? []).flatMap((error): FieldError[] => {
    if (error.keyword === 'oneOf' || error.keyword === 'anyOf') return [];
    const named = namedProperty(error);
    if (error.instancePath === '' && named !== undefined) {
      return [{ pointer: pointers.name(named), detail: notAllowed(named) }];
    }
    const [, attribute = '', ...rest] = error.instancePath.split('/');
    const path = [...rest, ...(named === undefined ? [] : [escapePointer(named)])];
    return [
      {
        pointer: pointers.value(
          unescapeSegment(attribute),
          path.length === 0 ? '' : `/${path.join('/')}`,
        ),
        detail:
          error.keyword === 'additionalProperties'
            ? notAllowedHere(itemSchema.closedObjects, error.instancePath, named ?? '')
            : detail(error),
      },
    ];
  });
}

/** What `Item` has against `item`, a whole item, each problem at a pointer under `base`. */
export function checkItem(item: unknown, base = ''): FieldError[] {
  const validate = itemSchema.validate;
  if (validate(withDoubles(item))) return [];
  return (validate.errors ?? []).flatMap((error): FieldError[] => {
    if (error.keyword === 'oneOf' || error.keyword === 'anyOf') return [];
    if (error.keyword === 'additionalProperties') {
      const name = String(error.params.additionalProperty);
      return [
        {
          pointer: `${base}${error.instancePath}/${escapePointer(name)}`,
          detail:
            error.instancePath === ''
              ? notAllowed(name)
              : notAllowedHere(itemSchema.closedObjects, error.instancePath, name),
        },
      ];
    }
    if (error.keyword === 'required') {
      const name = String(error.params.missingProperty);
      return [
        {
          pointer: `${base}${error.instancePath}/${escapePointer(name)}`,
          detail: 'is required by the item schema and cannot be removed',
        },
      ];
    }
    return [{ pointer: `${base}${error.instancePath}`, detail: detail(error) }];
  });
}

/** The member a `required` or `additionalProperties` error is about. */
function namedProperty(error: ErrorObject): string | undefined {
  if (error.keyword === 'additionalProperties') return String(error.params.additionalProperty);
  if (error.keyword === 'required') return String(error.params.missingProperty);
  return undefined;
}

/** For a top-level attribute `Item` does not allow: which ones it does. */
function notAllowed(name: string): string {
  const allowed = listMembers(itemSchema.closedObjects, '', name);
  return `is not an attribute the item schema allows (${JSON.stringify(name)})${allowed === undefined ? '' : `; it allows ${allowed}`}`;
}

function detail(error: ErrorObject): string {
  return error.keyword === 'required' ? 'is required by the item schema' : describe(error);
}

function unescapeSegment(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~');
}
