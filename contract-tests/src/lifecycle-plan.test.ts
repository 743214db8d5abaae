import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { typedItemContract } from '../../server/test/support/typed-contract.js';
import { readContract } from './contract.js';
import { createGenerator } from './generate.js';
import { mergePatch } from './item.js';
import { lifecycleItem, NOTE, planLifecycle } from './lifecycle-plan.js';
import { createSchemaCheck } from './schemas.js';

const ITEM = '#/components/schemas/Item';
const ID = 'run-lifecycle';

function planFor(document: object, seed = 1) {
  const contract = readContract(document);
  const check = createSchemaCheck(document);
  const generator = createGenerator({ contract, check, keyName: 'user_id', keys: ['k'], seed });
  return { check, plan: planLifecycle({ contract, check, generator, keyName: 'user_id', id: ID }) };
}

/** openapi.yaml with the shipped, open `Item`, whatever a team made of its own. */
const open = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'));
open.components.schemas.Item = {
  type: 'object',
  required: ['user_id'],
  properties: { user_id: { $ref: '#/components/schemas/UserId' } },
  additionalProperties: true,
};
/** README "Make it yours"'s worked example: a typed `Item`, with a rule about the whole item. */
const typed = parse(typedItemContract()) as object;

describe('the lifecycle plan', () => {
  it("writes the runner's own item and note where the open Item takes them", () => {
    const { plan } = planFor(open);

    expect(plan.item).toEqual(lifecycleItem(ID));
    expect(plan.update).toEqual({ key: NOTE, value: 'updated', stale: 'lost update' });
    expect(plan.rival).toEqual({ ...lifecycleItem(ID), [NOTE]: 'lost update' });
    expect(plan.merge?.patch).toMatchObject({ user_id: ID, [NOTE]: null });
  });

  it.each([1, 2, 3, 4, 5])(
    'makes every write from a typed Item, each valid against it (seed %i)',
    (seed) => {
      const { check, plan } = planFor(typed, seed);
      const updated = { ...plan.item, [plan.update.key]: plan.update.value };

      for (const item of [plan.item, plan.rival, updated, plan.merge?.result]) {
        expect(check(ITEM, item), JSON.stringify(item)).toEqual([]);
      }
      expect(plan.item.user_id).toBe(ID);
      expect(plan.rival.user_id).toBe(ID);
      // Typed values, not the runner's own: its note is no attribute this Item has.
      expect(plan.item).not.toHaveProperty(NOTE);
      expect(Object.keys(plan.item).length).toBeGreaterThan(5);
      expect(plan.rival).not.toEqual(plan.item);
      expect(new Set([plan.item[plan.update.key], plan.update.value, plan.update.stale]).size).toBe(
        3,
      );
      const { patch, result } = plan.merge ?? { patch: {}, result: {} };
      expect(result).toEqual(mergePatch(updated, patch));
      expect(result).not.toEqual(updated);
      // One attribute removed, one set, one map (the address) merged into.
      const members = Object.entries(patch).filter(([name]) => name !== 'user_id');
      expect(members.filter(([, v]) => v === null)).toHaveLength(1);
      expect(members.filter(([, v]) => typeof v === 'object' && v !== null)).toEqual([
        ['address', expect.any(Object)],
      ]);
      expect(members.length).toBe(3);
    },
  );

  it('says why when no attribute of Item can be updated', () => {
    const keyOnly = structuredClone(typed) as {
      components: { schemas: { Item: Record<string, unknown> } };
    };
    keyOnly.components.schemas.Item = {
      type: 'object',
      required: ['user_id'],
      additionalProperties: false,
      properties: { user_id: { $ref: '#/components/schemas/UserId' } },
    };

    expect(() => planFor(keyOnly)).toThrow(
      'no attribute of #/components/schemas/Item can be set to two other values the item takes',
    );
  });
});
