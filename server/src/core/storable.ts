/**
 * What DynamoDB can store, checked before we ask it, so a client hears exactly which field is
 * wrong and why instead of a generic refusal.
 */

import { type JsonValue, NumberValue, toDecimal } from './json.js';
import type { FieldError } from './problems.js';

/** Server metadata lives in attributes whose names start with this; clients cannot use them. */
export const RESERVED_PREFIX = '@';

/** DynamoDB nests maps and lists at most 32 levels deep. */
export const MAX_DEPTH = 32;
const EMPTY_NAME = 'is an empty name, which DynamoDB does not take; give the attribute a name';

/** The problem with an object or array at `pointer` nested past what DynamoDB holds. */
export function nestedTooDeep(pointer: string): FieldError {
  return { pointer, detail: `nests deeper than DynamoDB's ${MAX_DEPTH} levels` };
}
/** Reporting stops here: enough to fix a request, never a huge response. */
const MAX_ERRORS = 20;

/**
 * The problems DynamoDB (or a faithful round trip) would have with `value`, found at `pointer`.
 * `depth` is how deep `value` already sits inside the stored item (an item is depth 0).
 */
export function checkStorable(value: JsonValue, pointer: string, depth: number): FieldError[] {
  const errors: FieldError[] = [];
  walk(value, pointer, depth, errors);
  return errors;
}

/** Problems with a top-level attribute name a client wants to write. */
export function checkAttributeName(name: string): string | undefined {
  if (name === '') return EMPTY_NAME;
  if (name === '__proto__') return 'is not allowed as an attribute name';
  if (!name.isWellFormed()) return 'contains a lone UTF-16 surrogate in its name';
  if (name.startsWith(RESERVED_PREFIX)) {
    return `is reserved: attribute names starting with "${RESERVED_PREFIX}" hold server metadata`;
  }
  return undefined;
}

function walk(value: JsonValue, pointer: string, depth: number, errors: FieldError[]): void {
  if (errors.length >= MAX_ERRORS) return;
  if (typeof value === 'string') {
    if (!value.isWellFormed()) errors.push({ pointer, detail: 'contains a lone UTF-16 surrogate' });
    return;
  }
  if (typeof value === 'number' || value instanceof NumberValue) {
    const problem = checkNumber(typeof value === 'number' ? String(value) : value.value);
    if (problem !== undefined) errors.push({ pointer, detail: problem });
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (depth >= MAX_DEPTH) {
    errors.push(nestedTooDeep(pointer));
    return;
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) walk(v, `${pointer}/${i}`, depth + 1, errors);
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    if (errors.length >= MAX_ERRORS) return;
    const at = `${pointer}/${escapePointer(key)}`;
    // Nested maps may use any name but these three (DynamoDB refuses empty names at any depth);
    // top-level attributes follow the item's rules.
    const problem =
      depth === 0
        ? checkAttributeName(key)
        : key === ''
          ? EMPTY_NAME
          : key === '__proto__'
            ? 'is not allowed as an attribute name'
            : key.isWellFormed()
              ? undefined
              : 'contains a lone UTF-16 surrogate in its name';
    if (problem !== undefined) errors.push({ pointer: at, detail: problem });
    walk(v, at, depth + 1, errors);
  }
}

/** DynamoDB numbers: up to 38 significant digits, magnitude from 1e-130 to under 1e126. */
function checkNumber(text: string): string | undefined {
  const d = toDecimal(text);
  if (d === undefined) return 'is not a finite number';
  if (d.digits === '') return undefined;
  if (d.digits.length > 38) return 'has more than the 38 significant digits DynamoDB holds';
  if (d.exponent > 125) return 'is larger in magnitude than DynamoDB holds (under 1e126)';
  if (d.exponent < -130) return 'is smaller in magnitude than DynamoDB holds (at least 1e-130)';
  return undefined;
}

export function escapePointer(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}
