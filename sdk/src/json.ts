/**
 * JSON as the API keeps it: every number exactly (DynamoDB holds 38 significant digits), and
 * nothing changed on the way without the caller choosing it.
 *
 * `JSON.stringify` writes `NaN` and `Infinity` as `null`, drops functions and turns a `Map` into
 * `{}`; `JSON.parse` rounds `12345678901234567890123` to `1.2345678901234568e+22`. Here a value
 * JSON cannot carry is a `TypeError` before anything is sent, and a number a JavaScript `number`
 * would change is either refused (`numbers: 'number'`, the default) or kept exactly as a `bigint`
 * or an `ExactNumber` (`numbers: 'exact'`). JSON numbers and texts follow RFC 8259 §6.
 */

/** How a client treats numbers; see `ClientOptions.numbers`. */
export type NumberMode = 'number' | 'exact';

/** The number grammar of RFC 8259 §6. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * A number kept as its decimal text, for the numbers a JavaScript `number` cannot hold without
 * changing them (such as `0.1234567890123456789`). Clients with `numbers: 'exact'` read such
 * numbers as `ExactNumber`s (integers as `bigint`s) and send them back unchanged.
 *
 * @example
 * ```ts
 * const price = new ExactNumber('19.999999999999999999');
 * await api.createItem({ user_id: 'ada', price });
 * ```
 */
export class ExactNumber {
  /** The number as JSON writes it, e.g. `"19.999999999999999999"`. */
  readonly value: string;

  /** @throws TypeError when `value` is not a JSON number (RFC 8259 §6), such as `"1."` or `"0x1"`. */
  constructor(value: string) {
    if (!JSON_NUMBER.test(value)) {
      throw new TypeError(`ExactNumber takes a JSON number such as "1.5" or "-2e40", not ${value}`);
    }
    this.value = value;
  }

  /** The decimal text. */
  toString(): string {
    return this.value;
  }
}

/** A number in an answer that a `number` would change, in a client that only takes numbers. */
export class InexactNumberError extends Error {
  constructor(readonly text: string) {
    super(
      `the answer holds the number ${text.length > 60 ? `${text.slice(0, 60)}…` : text}, which a JavaScript number cannot hold without changing it; create the client with numbers: 'exact' to read it exactly`,
    );
  }
}

/**
 * `value` as JSON text.
 *
 * @throws TypeError naming where (a JSON Pointer, RFC 6901) a value is that JSON cannot carry:
 *   `NaN` or `±Infinity`; a `bigint` or `ExactNumber` unless `numbers` is `'exact'`; `undefined`, a
 *   function or a symbol where JSON has no place to drop it from (an array) or would drop it
 *   silently (a function or symbol property); an object that is neither a plain object, an array
 *   nor has `toJSON` (a `Map`, a `Set`, a typed array, a class instance). An `undefined` property
 *   is left out, as JSON has no `undefined`.
 */
export function toJson(value: unknown, numbers: NumberMode): string {
  const paths = new Map<object, string>();
  let mark: string | undefined;
  const text = JSON.stringify(value, function (this: unknown, key: string, v: unknown) {
    const top = key === '' && paths.size === 0;
    const pointer = `${paths.get(this as object) ?? ''}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    const where = top ? 'The value' : `Field ${pointer}`;
    const refuse = (what: string, instead: string) =>
      new TypeError(`${where} is ${what}: JSON has no such value; ${instead}`);
    switch (typeof v) {
      case 'number':
        if (!Number.isFinite(v)) throw refuse(String(v), 'send a finite number or null');
        return v;
      case 'bigint':
        if (numbers !== 'exact') {
          throw refuse(
            `the bigint ${v}`,
            "send a number, or create the client with numbers: 'exact' to send it exactly",
          );
        }
        mark ??= newMark();
        return `${mark}${v}`;
      case 'undefined':
        if (Array.isArray(this)) throw refuse('undefined', 'send null, or leave the element out');
        return v;
      case 'function':
      case 'symbol':
        throw refuse(`a ${typeof v}`, 'leave it out');
      case 'object':
        if (v === null) return v;
        if (v instanceof ExactNumber) {
          if (numbers !== 'exact') {
            throw refuse('an ExactNumber', "create the client with numbers: 'exact' to send it");
          }
          mark ??= newMark();
          return `${mark}${v.value}`;
        }
        if (!Array.isArray(v)) {
          const prototype = Object.getPrototypeOf(v);
          if (prototype !== Object.prototype && prototype !== null) {
            throw refuse(
              `a ${prototype?.constructor?.name ?? 'non-plain object'}`,
              'send a plain object or an array (e.g. Object.fromEntries(map), [...set])',
            );
          }
        }
        paths.set(v, top ? '' : pointer);
        return v;
      default:
        return v;
    }
  });
  if (text === undefined) throw new TypeError('The value is undefined: there is nothing to send');
  if (mark === undefined) return text;
  // Each marked string is a number the replacer wrote as text: write it as the number it is.
  const marked = JSON.stringify(mark).slice(1, -1);
  return text.replaceAll(new RegExp(`"${escapeRegExp(marked)}([^"]*)"`, 'g'), '$1');
}

/**
 * JSON text as a value. Numbers a `number` holds without change (every number of up to 15
 * significant digits, and most others) are `number`s. Any other number is, with `numbers:
 * 'exact'`, a `bigint` if it is an integer beyond ±(2^53 − 1), else an `ExactNumber`; with
 * `numbers: 'number'` it is refused.
 *
 * @throws SyntaxError, as `JSON.parse` does, on malformed text (checked first).
 * @throws InexactNumberError for a number a `number` would change, with `numbers: 'number'`.
 */
export function parseJson(text: string, numbers: NumberMode): unknown {
  const inexact = inexactNumbers(text, numbers === 'exact');
  const value: unknown = JSON.parse(text);
  if (inexact.length === 0) return value;
  if (numbers !== 'exact') {
    const [start, end] = inexact[0] as [number, number];
    throw new InexactNumberError(text.slice(start, end));
  }
  // Each such number becomes a string behind a mark no answer can hold (a control character
  // and a random tag), then the reviver turns it into what it is.
  const mark = newMark();
  const markInJson = JSON.stringify(mark).slice(1, -1);
  let marked = '';
  let from = 0;
  for (const [start, end] of inexact) {
    marked += `${text.slice(from, start)}"${markInJson}${text.slice(start, end)}"`;
    from = end;
  }
  marked += text.slice(from);
  return JSON.parse(marked, (_key, v: unknown) =>
    typeof v === 'string' && v.startsWith(mark) ? exactValue(v.slice(mark.length)) : v,
  );
}

/** A prefix no client's string will hold: a control character and a random tag. */
function newMark(): string {
  return `\u0001${Math.random().toString(36).slice(2)}:`;
}

/** An integer as a `bigint`, any other number as an `ExactNumber`. */
function exactValue(text: string): bigint | ExactNumber {
  const decimal = toDecimal(text);
  if (decimal.exponent < decimal.digits.length - 1) return new ExactNumber(text);
  const zeros = '0'.repeat(decimal.exponent - decimal.digits.length + 1);
  return BigInt(`${text.startsWith('-') ? '-' : ''}${decimal.digits || '0'}${zeros}`);
}

/**
 * A JSON number as its significant digits and the power of ten of the first, signless:
 * `-0.0012300` is `{ digits: "123", exponent: -3 }`; zero is `{ digits: "", exponent: 0 }`.
 */
function toDecimal(text: string): { digits: string; exponent: number } {
  const [, int = '', frac = '', exp = '0'] = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(
    text,
  ) ?? [''];
  const all = int + frac;
  const lead = all.search(/[1-9]/);
  if (lead === -1) return { digits: '', exponent: 0 };
  return {
    digits: all.slice(lead).replace(/0+$/, ''),
    exponent: int.length - lead - 1 + Number(exp),
  };
}

/**
 * Whether the number `text` comes back as the same number after `Number(text)` and
 * `JSON.stringify`, and, when `exact`, is not an integer beyond ±(2^53 − 1) (which arithmetic
 * on a `number` would not keep exact).
 */
function keptAsNumber(text: string, exact: boolean): boolean {
  const n = Number(text);
  if (!Number.isFinite(n) || (exact && Number.isInteger(n) && !Number.isSafeInteger(n))) {
    return false;
  }
  const a = toDecimal(text);
  const b = toDecimal(String(n));
  return a.digits === b.digits && a.exponent === b.exponent;
}

/** [start, end) of each number token outside strings that `keptAsNumber` refuses. */
function inexactNumbers(text: string, exact: boolean): Array<[number, number]> {
  const found: Array<[number, number]> = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < n && text.charCodeAt(i) !== 0x22; i++) {
        if (text.charCodeAt(i) === 0x5c /* \ */) i++;
      }
      i++;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      let plain = true;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if ((d >= 0x30 && d <= 0x39) || d === 0x2e /* . */) continue;
        if (d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d /* e E + - */) plain = false;
        else break;
      }
      // Without an exponent, 15 characters hold at most 15 significant digits, which a double
      // always keeps (and no integer beyond 2^53); only longer or exponent tokens need a look.
      if ((!plain || i - start > 15) && !keptAsNumber(text.slice(start, i), exact)) {
        found.push([start, i]);
      }
    } else {
      i++;
    }
  }
  return found;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
