import { describe, expect, it } from 'vitest';
import {
  etag,
  evaluateRead,
  parseEntityTags,
  readPreconditions,
  refuseUnevaluatedPreconditions,
  toVersionCondition,
} from './conditional.js';
import { PreconditionFailedError, ValidationError } from './problems.js';

const INCARNATION = 'Hm7kQx0pZr1c';
const OTHER = 'Zr1cHm7kQx0p';
const state = (version: number, incarnation = INCARNATION) => ({ version, incarnation });

describe('etag', () => {
  it('is the version and the incarnation as a strong entity tag', () => {
    expect(etag({ version: 42, incarnation: INCARNATION })).toBe(`"42.${INCARNATION}"`);
  });

  it('is the version alone for an item without an incarnation: the tag such items had', () => {
    expect(etag({ version: 0 })).toBe('"0"');
    expect(etag({ version: 42 })).toBe('"42"');
  });
});

describe('parseEntityTags (RFC 9110 §8.8.3, §13.1.1)', () => {
  it.each([
    ['*', '*'],
    [' * ', '*'],
    ['"3"', [{ weak: false, opaque: '"3"' }]],
    [
      '"3", W/"4"',
      [
        { weak: false, opaque: '"3"' },
        { weak: true, opaque: '"4"' },
      ],
    ],
    [
      '"3","abc" , ""',
      [
        { weak: false, opaque: '"3"' },
        { weak: false, opaque: '"abc"' },
        { weak: false, opaque: '""' },
      ],
    ],
    // A comma inside the quotes is part of the tag (etagc takes %x2C).
    [
      '"a,b", W/"c,d"',
      [
        { weak: false, opaque: '"a,b"' },
        { weak: true, opaque: '"c,d"' },
      ],
    ],
    [
      '"1",, \t"2" ,',
      [
        { weak: false, opaque: '"1"' },
        { weak: false, opaque: '"2"' },
      ],
    ],
    [Array.from({ length: 32 }, (_, i) => `"${i}"`).join(', '), expect.any(Array)],
  ])('reads %j', (value, tags) => {
    expect(parseEntityTags(value, 'If-Match')).toEqual(tags);
  });

  it.each([
    ['3', /this is not one: 3 \(send "3" instead\)/],
    ['"1" , 2', /this is not one: 2 \(send "2" instead\)/],
    ['"3', /is not one/],
    ['w/"3"', /is not one/],
    ['"a"b"', /is not one/],
    ['*, "1"', /is not one/],
    [' , ', /must be \* or a list/],
    ['"1" "2"', /is not one/],
    [
      Array.from({ length: 33 }, (_, i) => `"${i}"`).join(','),
      /lists 33 entity tags, more than the 32/,
    ],
  ])('refuses %j, naming the header: %s', (value, detail) => {
    const parsing = () => parseEntityTags(value, 'If-Match');

    expect(parsing).toThrow(ValidationError);
    expect(parsing).toThrow(detail);
  });
});

describe('toVersionCondition', () => {
  it.each([
    [{}, {}],
    [{ 'if-match': '*' }, {}],
    [{ 'if-match': `"3.${INCARNATION}", "4.${OTHER}"` }, { ifMatch: [state(3), state(4, OTHER)] }],
    // Tags of items stored before incarnations name a version without one.
    [{ 'if-match': '"3", "4"' }, { ifMatch: [{ version: 3 }, { version: 4 }] }],
    [{ 'if-match': `"3.${INCARNATION}", "3.${INCARNATION}"` }, { ifMatch: [state(3)] }],
    [{ 'if-match': `W/"3.${INCARNATION}"` }, { ifMatch: [] }],
    // Names no state this API gives: not a version, a leading zero, an empty or foreign token.
    [{ 'if-match': '"abc", "03", "3.", "3.a!b", "3.a.b"' }, { ifMatch: [] }],
    [{ 'if-match': `"3.${'a'.repeat(65)}"` }, { ifMatch: [] }],
    [{ 'if-none-match': '*' }, { ifNoneMatch: '*' }],
    [{ 'if-none-match': `W/"3.${INCARNATION}", "5"` }, { ifNoneMatch: [state(3), { version: 5 }] }],
  ])('%j requires %j', (headers, condition) => {
    expect(toVersionCondition(readPreconditions(headers))).toEqual(condition);
  });
});

describe('evaluateRead (RFC 9110 §13.2.2)', () => {
  const current = `"2.${INCARNATION}"`;

  it.each([
    [{}, 'proceed'],
    [{ 'if-none-match': current }, 'fresh'],
    [{ 'if-none-match': `W/${current}` }, 'fresh'],
    [{ 'if-none-match': '*' }, 'fresh'],
    [{ 'if-none-match': `"1.${INCARNATION}", "3.${INCARNATION}"` }, 'proceed'],
    // The same version of another incarnation (the item deleted and created again) is not it.
    [{ 'if-none-match': `"2.${OTHER}"` }, 'proceed'],
    [{ 'if-none-match': '"2"' }, 'proceed'],
    [{ 'if-match': current, 'if-none-match': current }, 'fresh'],
    [{ 'if-match': '*' }, 'proceed'],
  ])('%j on version 2: %s', (headers, outcome) => {
    expect(evaluateRead(readPreconditions(headers), state(2))).toBe(outcome);
  });

  it('fails If-Match first, and by strong comparison: W/"2.…" does not match version 2', () => {
    for (const ifMatch of [
      `"1.${INCARNATION}"`,
      `W/${current}`,
      `"02.${INCARNATION}"`,
      `"2.${OTHER}"`,
      '"2"',
    ]) {
      expect(() => evaluateRead(readPreconditions({ 'if-match': ifMatch }), state(2))).toThrow(
        PreconditionFailedError,
      );
    }
  });

  it('compares the tag of an item without an incarnation as it was sent', () => {
    const legacy = { version: 2 };

    expect(evaluateRead(readPreconditions({ 'if-none-match': '"2"' }), legacy)).toBe('fresh');
    expect(evaluateRead(readPreconditions({ 'if-match': '"2"' }), legacy)).toBe('proceed');
    expect(() =>
      evaluateRead(readPreconditions({ 'if-match': `"2.${INCARNATION}"` }), legacy),
    ).toThrow(PreconditionFailedError);
  });
});

describe('refuseUnevaluatedPreconditions', () => {
  it('refuses the date preconditions: items have no modification date', () => {
    for (const name of ['if-modified-since', 'if-unmodified-since']) {
      expect(() =>
        refuseUnevaluatedPreconditions({ [name]: 'Sun, 29 Nov 2026 18:00:00 GMT' }, [
          'if-match',
          'if-none-match',
        ]),
      ).toThrow(/versions, not modification dates/);
    }
  });

  it('refuses If-Match where the operation does not list it, and lets If-Range be', () => {
    expect(() => refuseUnevaluatedPreconditions({ 'if-match': '"1"' }, ['if-none-match'])).toThrow(
      /not supported by this operation/,
    );
    expect(() =>
      refuseUnevaluatedPreconditions({ 'if-range': '"1"', 'if-match': '"1"' }, ['if-match']),
    ).not.toThrow();
  });
});
