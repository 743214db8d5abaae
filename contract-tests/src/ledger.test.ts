import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { typedItemContract } from '../../server/test/support/typed-contract.js';
import type { PlannedRequest } from './generate.js';
import { createLedger } from './ledger.js';
import { createSchemaCheck } from './schemas.js';

/** README "Make it yours"'s worked example: a team plan needs seats; name and email are required. */
const check = createSchemaCheck(parse(typedItemContract()) as object);
const KEY = 'run-g0';
const ADA = { user_id: KEY, name: 'Ada', email: 'ada@example.com', plan: 'pro' };

const request = (
  method: string,
  body?: object,
  mediaType = 'application/json',
): PlannedRequest => ({
  operationId: 'op',
  method,
  path: '/dynamo',
  query: body === undefined ? [['user_id', KEY]] : [],
  headers: body === undefined ? {} : { 'content-type': mediaType },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  kind: 'valid',
  description: 'valid: op',
});
const answer = (status: number, body?: object) => ({
  status,
  headers: {},
  body: body === undefined ? '' : JSON.stringify(body),
});
const setPlan = (plan: string) =>
  request('PATCH', { user_id: KEY, updatedKey: 'plan', updatedValue: plan });
const removeEmail = request('PATCH', { user_id: KEY, email: null }, 'application/merge-patch+json');
const ledger = () =>
  createLedger({ check, itemRef: '#/components/schemas/Item', keyName: 'user_id', keys: [KEY] });

describe('the ledger of the run’s own items', () => {
  it('requires a 400 for a write whose item breaks Item, and only for it', () => {
    const known = ledger();
    known.record(request('POST', ADA), answer(201, ADA));

    expect(known.refusal(setPlan('team'))).toBe('required');
    expect(known.refusal(removeEmail)).toBe('required');
    expect(known.refusal(setPlan('free'))).toBe('wrong');
    expect(known.refusal(request('POST', ADA))).toBe('wrong');
  });

  it('follows the item through its answers: an update, a delete, a 404', () => {
    const known = ledger();
    known.record(request('POST', ADA), answer(201, ADA));
    known.record(setPlan('team'), answer(200, { ...ADA, plan: 'team', seats: 2 }));

    // The item has seats now: a team plan is fine.
    expect(known.refusal(setPlan('team'))).toBe('wrong');
    known.record(request('DELETE'), answer(200, ADA));
    // No item: a write answers 404, never 400.
    expect(known.refusal(removeEmail)).toBe('wrong');
    known.record(request('POST', ADA), answer(201, ADA));
    known.record(request('GET'), answer(404));
    expect(known.refusal(removeEmail)).toBe('wrong');
  });

  it('takes either answer where it cannot know the item: after a 5xx or no answer', () => {
    for (const lost of [answer(503), undefined]) {
      const known = ledger();
      known.record(request('POST', ADA), answer(201, ADA));
      known.record(setPlan('free'), lost);

      expect(known.refusal(removeEmail)).toBe('unknown');
    }
  });

  it('never judges an item outside its pool', () => {
    const known = ledger();
    const other = { ...ADA, user_id: 'someone-else' };

    expect(
      known.refusal(request('PATCH', { ...other, email: null }, 'application/merge-patch+json')),
    ).toBe('wrong');
  });
});
