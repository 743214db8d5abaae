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

const item = (version: number) => ({ item: { user_id: 'ada' }, version });

describe('etag', () => {
  it('is the version as a strong entity tag', () => {
    expect(etag(0)).toBe('"0"');
    expect(etag(42)).toBe('"42"');
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
    [Array.from({ length: 100 }, (_, i) => `"${i}"`).join(', '), expect.any(Array)],
  ])('reads %j', (value, tags) => {
    expect(parseEntityTags(value, 'If-Match')).toEqual(tags);
  });

  it.each([
    ['3', /quoted.*send "3"/],
    ['"3', /is not one/],
    ['w/"3"', /is not one/],
    ['"a"b"', /is not one/],
    ['*, "1"', /is not one/],
    [' , ', /must be \* or a list/],
    ['"1" "2"', /is not one/],
    [
      Array.from({ length: 101 }, (_, i) => `"${i}"`).join(','),
      /lists 101 entity tags, more than the 100/,
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
    [{ 'if-match': '"3", "4"' }, { ifMatch: [3, 4] }],
    [{ 'if-match': 'W/"3"' }, { ifMatch: [] }],
    [{ 'if-match': '"abc", "03"' }, { ifMatch: [] }],
    [{ 'if-none-match': '*' }, { ifNoneMatch: '*' }],
    [{ 'if-none-match': 'W/"3", "5"' }, { ifNoneMatch: [3, 5] }],
  ])('%j requires %j', (headers, condition) => {
    expect(toVersionCondition(readPreconditions(headers))).toEqual(condition);
  });
});

describe('evaluateRead (RFC 9110 §13.2.2)', () => {
  it.each([
    [{}, 'proceed'],
    [{ 'if-none-match': '"2"' }, 'fresh'],
    [{ 'if-none-match': 'W/"2"' }, 'fresh'],
    [{ 'if-none-match': '*' }, 'fresh'],
    [{ 'if-none-match': '"1", "3"' }, 'proceed'],
    [{ 'if-match': '"2"', 'if-none-match': '"2"' }, 'fresh'],
    [{ 'if-match': '*' }, 'proceed'],
  ])('%j on version 2: %s', (headers, outcome) => {
    expect(evaluateRead(readPreconditions(headers), item(2))).toBe(outcome);
  });

  it('fails If-Match first, and by strong comparison: W/"2" does not match version 2', () => {
    for (const ifMatch of ['"1"', 'W/"2"', '"02"']) {
      expect(() => evaluateRead(readPreconditions({ 'if-match': ifMatch }), item(2))).toThrow(
        PreconditionFailedError,
      );
    }
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
