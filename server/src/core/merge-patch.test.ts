import { describe, expect, it } from 'vitest';
import { RFC_7396_EXAMPLES } from '../../test/support/rfc7396-examples.js';
import { NumberValue } from './json.js';
import { mergeChange, mergePatch } from './merge-patch.js';

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
});

describe('mergeChange (a merge patch as a change of an item)', () => {
  it('sets each member but user_id to its merged value, and removes each null one', () => {
    const item = { user_id: 'ada', name: 'Ada', address: { city: 'London', zip: '1' }, gone: 1 };

    const change = mergeChange(item, {
      user_id: 'ada',
      name: 'Ada Lovelace',
      address: { zip: null, street: 'St James' },
      gone: null,
      absent: null,
    });

    expect(change).toEqual({
      set: { name: 'Ada Lovelace', address: { city: 'London', street: 'St James' } },
      remove: ['gone', 'absent'],
    });
  });

  it('is no change at all for a patch of user_id alone', () => {
    expect(mergeChange({ user_id: 'ada', name: 'Ada' }, { user_id: 'ada' })).toEqual({
      set: {},
      remove: [],
    });
  });

  it('merges into what the item has, never into what its prototype has', () => {
    const change = mergeChange({ user_id: 'ada' }, { user_id: 'ada', toString: { a: 1 } });

    expect(change.set).toEqual({ toString: { a: 1 } });
  });
});
