import { describe, expect, it } from 'vitest';
import { RFC_7396_EXAMPLES } from '../../test/support/rfc7396-examples.js';
import { NumberValue } from './json.js';
import { mergeChange, mergePatch } from './merge-patch.js';
import { applyChange } from './ports.js';

describe('mergePatch (RFC 7396 §2)', () => {
  it.each(RFC_7396_EXAMPLES)(
    'merges %j with %j into %j (Appendix A)',
    (original, patch, result) => {
      const before = structuredClone(original);

      expect(mergePatch(original, patch)).toEqual(result);
      expect(original, 'the target is left as it was').toEqual(before);
    },
  );

  it('takes an exact number as a value, not as an object to merge into', () => {
    const big = NumberValue.from('12345678901234567890123');

    expect(mergePatch({ n: 1 }, { n: big })).toEqual({ n: big });
    expect(mergePatch({ n: big }, { n: { a: 1 } })).toEqual({ n: { a: 1 } });
  });

  it('merges into a member named __proto__ as data, never into the prototype', () => {
    const target = JSON.parse('{"__proto__":{"a":1},"b":2}');

    const merged = mergePatch(target, JSON.parse('{"__proto__":{"c":3}}')) as object;

    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(JSON.stringify(merged)).toBe('{"__proto__":{"a":1,"c":3},"b":2}');
  });
});

describe('mergeChange (a merge patch as a change of an item)', () => {
  it('names each member it sets or removes at its path, never a map it merges into', () => {
    const item = { user_id: 'ada', name: 'Ada', address: { city: 'London', zip: '1' }, gone: 1 };

    const change = mergeChange(item, {
      user_id: 'ada',
      name: 'Ada Lovelace',
      address: { zip: null, street: 'St James' },
      gone: null,
    });

    expect(change).toEqual({
      set: [
        { path: ['name'], value: 'Ada Lovelace' },
        { path: ['address', 'street'], value: 'St James' },
      ],
      remove: [['address', 'zip'], ['gone']],
    });
  });

  it('goes as deep as the item has maps, and sets the rest whole without its nulls', () => {
    const item = { user_id: 'ada', a: { b: { c: 1, kept: 'binary?' } }, s: 'text' };

    const change = mergeChange(item, {
      user_id: 'ada',
      a: { b: { c: 2, d: { e: 1, f: null } } },
      s: { x: null, y: 1 },
    });

    expect(change).toEqual({
      set: [
        { path: ['a', 'b', 'c'], value: 2 },
        { path: ['a', 'b', 'd'], value: { e: 1 } },
        { path: ['s'], value: { y: 1 } },
      ],
      remove: [],
    });
  });

  it('removes only what the item has: a null for a missing member changes nothing', () => {
    const change = mergeChange(
      { user_id: 'ada', m: { a: 1 }, n: null },
      { user_id: 'ada', absent: null, m: { b: null }, n: null },
    );

    expect(change).toEqual({ set: [], remove: [['n']] });
  });

  it('is no change at all for a patch of user_id alone', () => {
    expect(mergeChange({ user_id: 'ada', name: 'Ada' }, { user_id: 'ada' })).toEqual({
      set: [],
      remove: [],
    });
  });

  it('keeps a nested user_id: only the top-level one names the item', () => {
    const change = mergeChange({ user_id: 'ada', m: {} }, { user_id: 'ada', m: { user_id: 'x' } });

    expect(change.set).toEqual([{ path: ['m', 'user_id'], value: 'x' }]);
  });

  it('merges into what the item has, never into what its prototype has', () => {
    const change = mergeChange({ user_id: 'ada' }, { user_id: 'ada', toString: { a: 1 } });

    expect(change.set).toEqual([{ path: ['toString'], value: { a: 1 } }]);
  });

  it('takes an exact number in the item as a value, not as a map to merge into', () => {
    const item = { user_id: 'ada', n: NumberValue.from('12345678901234567890123') };

    expect(mergeChange(item, { user_id: 'ada', n: { a: 1 } }).set).toEqual([
      { path: ['n'], value: { a: 1 } },
    ]);
  });

  it.each(RFC_7396_EXAMPLES)(
    'makes, with applyChange, what RFC 7396 makes of %j and %j inside an attribute',
    (original, patch, result) => {
      const item = { user_id: 'ada', doc: original, kept: 1 };

      const change = mergeChange(item, { user_id: 'ada', doc: patch });

      expect(applyChange(item, change)).toEqual(
        result === null ? { user_id: 'ada', kept: 1 } : { user_id: 'ada', doc: result, kept: 1 },
      );
    },
  );
});
