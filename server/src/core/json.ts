/**
 * JSON that keeps every number exactly.
 *
 * `JSON.parse` turns `12345678901234567890` into `12345678901234567000`; DynamoDB holds 38
 * significant digits, so the API promises that numbers round-trip unchanged. Numbers a JS
 * `number` holds exactly stay plain numbers (the fast, common path: one scan, then native
 * `JSON.parse`); the others become `NumberValue`s carrying their decimal text in the one
 * spelling `canonicalNumber` gives, which the DynamoDB document client stores as-is and
 * `stringifyJson` writes back verbatim.
 */
import { randomUUID } from 'node:crypto';
import { NumberValue } from '@aws-sdk/lib-dynamodb';

export { NumberValue };

/** A parsed JSON value; numbers a `number` cannot hold exactly are `NumberValue`s. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | NumberValue
  | JsonValue[]
  | { [key: string]: JsonValue };

export type JsonObject = { [key: string]: JsonValue };

/**
 * A marker no client can guess, so a client's string can never be mistaken for a number.
 * Control characters cannot appear raw in JSON strings, which keeps the marker out of the way.
 */
const MARK = `\u0001${randomUUID()}:`;
/** The marker as it is written inside a JSON string literal. */
const MARK_IN_JSON = JSON.stringify(MARK).slice(1, -1);
const MARKED_NUMBER = new RegExp(`"${escapeRegExp(MARK_IN_JSON)}([^"]*)"`, 'g');

/**
 * A name given twice in one object. RFC 8259 §4 says names SHOULD be unique and that parsers
 * disagree on which value wins, so a body that repeats one is refused rather than guessed at.
 */
export class DuplicateNameError extends SyntaxError {
  override readonly name = 'DuplicateNameError';
  /** JSON Pointer of the repeated member, e.g. `/user_id` or `/tags/0/name`. */
  readonly pointer: string;

  constructor(pointer: string) {
    super(`the name at ${pointer} is given twice in one object`);
    this.pointer = pointer;
  }
}

/** Objects and arrays nested deeper than the caller allows, first found at `pointer`. */
export class NestingTooDeepError extends SyntaxError {
  override readonly name = 'NestingTooDeepError';

  /**
   * @param pointer JSON Pointer of the first object or array past the limit, e.g. `/a/0/b`.
   * @param maxDepth how many levels of objects and arrays were allowed (the outermost is 1).
   */
  constructor(
    readonly pointer: string,
    readonly maxDepth: number,
  ) {
    super(`the value at ${pointer} nests deeper than ${maxDepth} levels`);
  }
}

/** What `parseJson` allows. */
export interface ParseOptions {
  /**
   * How many levels of objects and arrays may nest (the outermost value is level 1). Default
   * 1,000: deeper than any data DynamoDB holds (32), shallow enough that nothing recursive
   * over the value, `JSON.parse`'s reviver included, can run out of stack.
   */
  readonly maxDepth?: number;
}

/**
 * @throws SyntaxError, as `JSON.parse` does, on malformed input (RFC 8259), numbers included;
 *   `NestingTooDeepError` when well formed but nested deeper than `options.maxDepth`;
 *   `DuplicateNameError` when well formed but an object names a member twice.
 */
export function parseJson(text: string, options: ParseOptions = {}): JsonValue {
  const maxDepth = options.maxDepth ?? 1000;
  const { inexact, duplicate, tooDeep } = scan(text, maxDepth);
  let value: JsonValue;
  if (tooDeep !== undefined) {
    // Without a reviver `JSON.parse` needs no stack for depth: it says whether this is JSON.
    JSON.parse(text);
    throw new NestingTooDeepError(tooDeep, maxDepth);
  }
  if (inexact.length === 0) {
    value = JSON.parse(text) as JsonValue;
  } else {
    let marked = '';
    let from = 0;
    for (const [start, end] of inexact) {
      marked += `${text.slice(from, start)}"${MARK_IN_JSON}${text.slice(start, end)}"`;
      from = end;
    }
    marked += text.slice(from);
    value = JSON.parse(marked, (_key, v: unknown) =>
      typeof v === 'string' && v.startsWith(MARK)
        ? NumberValue.from(canonicalNumber(v.slice(MARK.length)))
        : v,
    ) as JsonValue;
  }
  // Only once the text is known to be JSON: a malformed body is reported as malformed.
  if (duplicate !== undefined) throw new DuplicateNameError(duplicate);
  return value;
}

/** `JSON.stringify`, writing `NumberValue`s as the numbers they are. */
export function stringifyJson(value: unknown): string {
  if (!containsNumberValue(value, 0)) return JSON.stringify(value);
  const text = JSON.stringify(value, (_key, v: unknown) =>
    v instanceof NumberValue ? `${MARK}${v.value}` : v,
  );
  return text.replaceAll(MARKED_NUMBER, '$1');
}

/**
 * Sets member `name` of `target` as data: a member named `__proto__` (RFC 8259 allows any name;
 * another program may store one) would set the object's prototype if assigned.
 */
export function setMember(target: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') {
    Object.defineProperty(target, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    target[name] = value;
  }
}

/**
 * `value` with the members of every object in one order, `first`'s names first, then the rest
 * by code point: the same data gives the same text whatever order it was written or read in
 * (DynamoDB and DynamoDB Local return attributes in orders of their own). Arrays keep theirs.
 */
export function inCanonicalOrder(value: unknown, first: readonly string[] = []): unknown {
  if (typeof value !== 'object' || value === null || value instanceof NumberValue) return value;
  if (Array.isArray(value)) return value.map((v) => inCanonicalOrder(v, first));
  const names = Object.keys(value).sort((a, b) => {
    const [i, j] = [first.indexOf(a), first.indexOf(b)];
    if (i !== j) return i === -1 ? 1 : j === -1 ? -1 : i - j;
    return a < b ? -1 : a > b ? 1 : 0;
  });
  const ordered: Record<string, unknown> = {};
  for (const name of names) {
    setMember(ordered, name, inCanonicalOrder((value as Record<string, unknown>)[name], first));
  }
  return ordered;
}

/**
 * What a DynamoDB number's text should become in JS: a `number` when that is exact, else a
 * `NumberValue` in the canonical spelling, whatever spelling the engine read it back in
 * (engines differ: `1E+22`, `10000000000000000000000`).
 */
export function fromDecimalText(text: string): number | NumberValue {
  return isExactAsNumber(text) ? Number(text) : NumberValue.from(canonicalNumber(text));
}

/**
 * True when `Number(text)` is the same decimal value and a safe one to hand to the DynamoDB
 * marshaller (it refuses integers past `Number.MAX_SAFE_INTEGER`).
 */
export function isExactAsNumber(text: string): boolean {
  const n = Number(text);
  if (!Number.isFinite(n)) return false;
  if (Number.isInteger(n) && !Number.isSafeInteger(n)) return false;
  const a = toDecimal(text);
  const b = toDecimal(String(n));
  return a !== undefined && b !== undefined && a.digits === b.digits && a.exponent === b.exponent;
}

/**
 * `text`, a JSON number, spelled as ECMAScript spells a number (`Number::toString`, ECMA-262
 * §6.1.6.1.20), applied to its exact decimal value: plain notation from 1e-6 to under 1e21,
 * else one digit, a point, the others and the power of ten (`1e+21`, `1.2345678901234567890123e+22`,
 * `1e-7`). Zeros that carry nothing are dropped; `-0` is `0`.
 *
 * One spelling per value, so that what a write answers is what every later read of it answers,
 * whatever spelling the client sent or the engine reads back (the ETag is strong: one version,
 * one representation, RFC 9110 §8.8.1). The same rule `JSON.stringify` applies to every
 * `number`, so every number in an answer is spelled by one rule. And a compact one: a number
 * DynamoDB holds is at most 46 characters (`-0.00000` and 38 digits), one of a digit or two at
 * most 22 (`-100000000000000000000`), where plain notation would spell `1e125` in 126.
 * A number whose power of ten no `number` holds exactly keeps its own spelling (the storable
 * check refuses it).
 */
export function canonicalNumber(text: string): string {
  const decimal = toDecimal(text);
  if (decimal === undefined) return text;
  const { digits, exponent } = decimal;
  if (digits === '') return '0';
  if (!Number.isSafeInteger(exponent)) return text;
  const sign = text.startsWith('-') ? '-' : '';
  // ECMA-262's k (how many digits) and n (where the point goes: the value is 0.digits × 10^n).
  const k = digits.length;
  const n = exponent + 1;
  if (k <= n && n <= 21) return `${sign}${digits}${'0'.repeat(n - k)}`;
  if (n > 0 && n <= 21) return `${sign}${digits.slice(0, n)}.${digits.slice(n)}`;
  if (n > -6 && n <= 0) return `${sign}0.${'0'.repeat(-n)}${digits}`;
  const mantissa = k === 1 ? digits : `${digits.slice(0, 1)}.${digits.slice(1)}`;
  return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${Math.abs(exponent)}`;
}

/**
 * A decimal number as significant digits and the power of ten of the first one, signless:
 * `-0.0012300` is `{ digits: "123", exponent: -3 }`. Zero is `{ digits: "", exponent: 0 }`.
 */
export function toDecimal(text: string): { digits: string; exponent: number } | undefined {
  const m = /^-?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (m === null) return undefined;
  const int = m[1] ?? '';
  const frac = m[2] ?? '';
  if (int === '' && frac === '') return undefined;
  const all = int + frac;
  const lead = all.search(/[1-9]/);
  if (lead === -1) return { digits: '', exponent: 0 };
  const digits = all.slice(lead).replace(/0+$/, '');
  return { digits, exponent: int.length - lead - 1 + Number(m[3] ?? '0') };
}

/** A container being scanned: an object (its names so far) or an array (its length so far). */
type Frame =
  | { kind: 'object'; names: Set<string>; expectName: boolean; name: string }
  | { kind: 'array'; index: number };

/** A number as RFC 8259 §6 writes it: no leading zeros, no bare `.`, digits after `e`. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * One pass over JSON text: the [start, end) offsets of number tokens outside strings that a
 * `number` cannot hold, the JSON Pointer of the first member whose name its object already
 * has, and that of the first object or array nested deeper than `maxDepth`. Malformed text
 * gives some answer; `JSON.parse` then refuses it anyway. A token that is not a JSON number is
 * left where it is for `JSON.parse` to refuse.
 */
function scan(
  text: string,
  maxDepth: number,
): {
  inexact: Array<[number, number]>;
  duplicate: string | undefined;
  tooDeep: string | undefined;
} {
  const inexact: Array<[number, number]> = [];
  let duplicate: string | undefined;
  const stack: Frame[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === 0x22 /* " */) {
      const start = i;
      let escaped = false;
      i++;
      while (i < n) {
        const s = text.charCodeAt(i);
        if (s === 0x5c /* \ */) {
          escaped = true;
          i += 2;
        } else if (s === 0x22) break;
        else i++;
      }
      i++;
      if (top?.kind === 'object' && top.expectName && duplicate === undefined) {
        const raw = text.slice(start + 1, i - 1);
        const name = escaped ? decodeString(text.slice(start, i)) : raw;
        if (name !== undefined) {
          if (top.names.has(name)) duplicate = pointerOf([...stack], name);
          top.names.add(name);
          top.name = name;
        }
      }
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      let plain = true;
      i++;
      for (; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d >= 0x30 && d <= 0x39) continue;
        if (d === 0x2e /* . */) continue;
        if (d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d /* e E + - */) plain = false;
        else break;
      }
      // Without an exponent, 15 characters hold at most 15 significant digits, which always
      // survive a double; only longer or exponent tokens need the exact check.
      if ((!plain || i - start > 15) && !isExactAsNumber(text.slice(start, i))) {
        if (JSON_NUMBER.test(text.slice(start, i))) inexact.push([start, i]);
      }
    } else {
      if ((c === 0x7b || c === 0x5b) /* { [ */ && stack.length >= maxDepth) {
        return { inexact, duplicate, tooDeep: positionOf(stack) };
      }
      if (c === 0x7b /* { */) {
        stack.push({ kind: 'object', names: new Set(), expectName: true, name: '' });
      } else if (c === 0x5b /* [ */) {
        stack.push({ kind: 'array', index: 0 });
      } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
        stack.pop();
      } else if (c === 0x2c /* , */) {
        if (top?.kind === 'object') top.expectName = true;
        else if (top?.kind === 'array') top.index++;
      } else if (c === 0x3a /* : */ && top?.kind === 'object') {
        top.expectName = false;
      }
      i++;
    }
  }
  return { inexact, duplicate, tooDeep: undefined };
}

/** The JSON Pointer (RFC 6901) of the place the scan is at: the current member of each container. */
function positionOf(stack: readonly Frame[]): string {
  return stack
    .map((frame) => `/${frame.kind === 'object' ? escapeSegment(frame.name) : frame.index}`)
    .join('');
}

function escapeSegment(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** A JSON string token's value, or `undefined` when it is not one. */
function decodeString(token: string): string | undefined {
  try {
    return JSON.parse(token) as string;
  } catch {
    return undefined;
  }
}

/** The JSON Pointer (RFC 6901) of member `name` of the innermost of `stack`'s containers. */
function pointerOf(stack: readonly Frame[], name: string): string {
  const segments = stack
    .slice(0, -1)
    .map((frame) => (frame.kind === 'object' ? escapeSegment(frame.name) : String(frame.index)));
  return `/${[...segments, escapeSegment(name)].join('/')}`;
}

/**
 * `value` for a JSON Schema check: `NumberValue`s (numbers past what a double holds exactly) as
 * their nearest double, so that `type: number` and `type: integer` take them; bounds on such
 * numbers are checked on that double. `value` itself when it has none.
 */
export function withDoubles(value: unknown): unknown {
  if (!containsNumberValue(value, 0)) return value;
  const convert = (v: unknown): unknown => {
    if (v instanceof NumberValue) return Number(v.value);
    if (Array.isArray(v)) return v.map(convert);
    if (typeof v === 'object' && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [key, member] of Object.entries(v)) out[key] = convert(member);
      return out;
    }
    return v;
  };
  return convert(value);
}

function containsNumberValue(value: unknown, depth: number): boolean {
  if (value instanceof NumberValue) return true;
  if (typeof value !== 'object' || value === null || depth > 64) return false;
  for (const v of Array.isArray(value) ? value : Object.values(value)) {
    if (containsNumberValue(v, depth + 1)) return true;
  }
  return false;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
