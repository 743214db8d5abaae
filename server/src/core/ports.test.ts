import { describe, expect, it } from 'vitest';
import { NumberValue } from './json.js';
import { applyChange, INCARNATION, newIncarnation, StoreRefusedError } from './ports.js';

describe('applyChange', () => {
  it('sets and removes members at their paths and leaves every other member as it is', () => {
    const tags = new Set(['x', 'y']);
    const blob = new Uint8Array([104, 105]);
    const item = { user_id: 'ada', doc: { tags, blob, inner: { a: 1, b: 2 } }, top: 'kept' };

    const after = applyChange(item, {
      set: [
        { path: ['doc', 'inner', 'c'], value: 3 },
        { path: ['added'], value: true },
      ],
      remove: [['doc', 'inner', 'a']],
    });

    expect(after).toEqual({
      user_id: 'ada',
      doc: { tags, blob, inner: { b: 2, c: 3 } },
      top: 'kept',
      added: true,
    });
    expect(after.doc.tags, 'a set is carried over, not copied into a list').toBe(tags);
    expect(after.doc.blob).toBe(blob);
  });

  it('changes a copy: the item it was given stays as it was', () => {
    const item = { user_id: 'ada', doc: { a: { b: 1 } } };
    const before = structuredClone(item);

    applyChange(item, {
      set: [{ path: ['doc', 'a', 'c'], value: 2 }],
      remove: [['doc', 'a', 'b']],
    });

    expect(item).toEqual(before);
  });

  it('sets a member named __proto__ as data, without touching any prototype', () => {
    const after = applyChange({ user_id: 'ada', m: {} } as Record<string, unknown>, {
      set: [{ path: ['m', '__proto__'], value: { polluted: true } }],
      remove: [],
    });

    expect(Object.hasOwn(after.m as object, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['a member that is not there', { user_id: 'ada' }],
    ['a string', { user_id: 'ada', doc: 'text' }],
    ['a list', { user_id: 'ada', doc: [{ a: 1 }] }],
    ['an exact number', { user_id: 'ada', doc: NumberValue.from('12345678901234567890123') }],
    ['a set', { user_id: 'ada', doc: new Set(['a']) }],
  ])('refuses a path through %s, as DynamoDB does', (_what, item) => {
    expect(() =>
      applyChange(item, { set: [{ path: ['doc', 'a'], value: 1 }], remove: [] }),
    ).toThrow(StoreRefusedError);
  });
});

describe('newIncarnation', () => {
  it('gives 12 characters of base64url, never the same twice, past each refill of its random bytes', () => {
    // 256 come from one draw of random bytes; 1,000 cross three refills.
    const incarnations = Array.from({ length: 1000 }, () => newIncarnation());

    for (const incarnation of incarnations) {
      expect(incarnation).toMatch(INCARNATION);
      expect(incarnation).toHaveLength(12);
    }
    expect(new Set(incarnations).size).toBe(incarnations.length);
  });
});
