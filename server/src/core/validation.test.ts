import { describe, expect, it } from 'vitest';
import { parseJson } from './json.js';
import { operations } from './openapi/operations.gen.js';
import {
  describe as describeError,
  listMembers,
  type RequestParts,
  validateRequest,
} from './validation.js';

const parts = (given: Partial<RequestParts> = {}): RequestParts => ({
  query: new Map(),
  headers: {},
  body: undefined,
  ...given,
});
const json = (value: unknown) => ({ mediaType: 'application/json', value });

describe('validateRequest', () => {
  it('hands over exactly the validated input: query, declared headers, body', () => {
    // Prepare
    const body = parseJson(
      '{"user_id":"ada","updatedKey":"n","updatedValue":12345678901234567890}',
    );

    // Act
    const result = validateRequest(
      operations.updateItem,
      parts({ headers: { 'if-match': '"1"', 'x-other': 'kept out' }, body: json(body) }),
    );

    // Assess
    expect(result).toEqual({
      valid: true,
      input: { query: {}, headers: { 'if-match': '"1"' }, body: json(body) },
    });
    if (result.valid) expect(result.input.body?.value).toBe(body);
  });

  it('refuses a body that is a JSON string holding JSON: it is a string, not an object', () => {
    // Act
    const result = validateRequest(
      operations.updateItem,
      parts({ body: json('{"user_id":"ada","updatedKey":"name","updatedValue":"x"}') }),
    );

    // Assess
    expect(result).toEqual({
      valid: false,
      errors: [{ pointer: '', detail: 'must be an object' }],
    });
  });

  it('names a missing required body and says what to send', () => {
    expect(validateRequest(operations.createItem, parts())).toEqual({
      valid: false,
      errors: [
        {
          pointer: '',
          detail:
            'is required: send application/json such as {"user_id":"user-123","name":"Ada","visits":3}',
        },
      ],
    });
  });

  it('ignores a body on an operation that takes none', () => {
    const result = validateRequest(
      operations.getItem,
      parts({ query: new Map([['user_id', ['ada']]]), body: json({ x: 1 }) }),
    );

    expect(result).toEqual({
      valid: true,
      input: { query: { user_id: 'ada' }, headers: {}, body: undefined },
    });
  });

  it.each([
    [
      new Map([['user_id', ['a', 'b']]]),
      [{ parameter: 'user_id', detail: 'is given 2 times; send it once' }],
    ],
    [new Map(), [{ parameter: 'user_id', detail: 'is required' }]],
    [
      new Map([['user_id', ['']]]),
      [{ parameter: 'user_id', detail: 'must be at least 1 character long' }],
    ],
    [
      new Map([
        ['user_id', ['a']],
        ['colour', ['red']],
      ]),
      [{ parameter: 'colour', detail: 'is not a parameter of this operation; it takes user_id' }],
    ],
  ])('names each bad query parameter: %o', (query, errors) => {
    expect(validateRequest(operations.getItem, parts({ query }))).toEqual({ valid: false, errors });
  });

  it('names a bad header as the contract spells it', () => {
    const result = validateRequest(
      operations.deleteItem,
      parts({ query: new Map([['user_id', ['a']]]), headers: { 'if-match': 'x'.repeat(1025) } }),
    );

    expect(result).toEqual({
      valid: false,
      errors: [{ header: 'If-Match', detail: 'must be at most 1024 characters long' }],
    });
  });

  it('says in words why an updatedKey starting with @ is refused', () => {
    const result = validateRequest(
      operations.updateItem,
      parts({ body: json({ user_id: 'a', updatedKey: '@version', updatedValue: 1 }) }),
    );

    expect(result).toEqual({
      valid: false,
      errors: [
        {
          pointer: '/updatedKey',
          detail: 'must not start with "@": names starting with "@" hold server metadata',
        },
      ],
    });
  });

  it('points into the body with JSON Pointers, escaping ~ and /', () => {
    const result = validateRequest(
      operations.updateItem,
      parts({ body: json({ user_id: 'a', updatedKey: 'k', updatedValue: 1, 'a/b~c': true }) }),
    );

    expect(result).toEqual({
      valid: false,
      errors: [
        {
          pointer: '/a~1b~0c',
          detail: 'is not allowed here; this object takes user_id, updatedKey, updatedValue',
        },
      ],
    });
  });

  it('reports every problem of every part at once, at most 20', () => {
    const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`x${i}`, i]));
    const result = validateRequest(
      operations.updateItem,
      parts({ headers: { 'if-match': 'x'.repeat(2000) }, body: json(many) }),
    );

    expect(result.valid).toBe(false);
    if (!result.valid) {
      expect(result.errors).toHaveLength(20);
      expect(result.errors[0]).toEqual({ header: 'If-Match', detail: expect.any(String) });
    }
  });
});

describe('the words for each kind of error', () => {
  it.each([
    ['type', { type: 'string' }, 'must be a string'],
    ['type', { type: 'integer' }, 'must be an integer'],
    ['type', { type: 'string,null' }, 'must be a string or null'],
    ['minLength', { limit: 1 }, 'must be at least 1 character long'],
    ['maxLength', { limit: 512 }, 'must be at most 512 characters long'],
    ['minimum', { limit: 1 }, 'must be at least 1'],
    ['exclusiveMaximum', { limit: 100 }, 'must be less than 100'],
    ['maxItems', { limit: 1 }, 'must have at most 1 item'],
    ['minProperties', { limit: 2 }, 'must have at least 2 properties'],
    ['enum', { allowedValues: ['a', 1] }, 'must be one of "a", 1'],
    ['format', { format: 'email' }, 'must be an email address such as ada@example.com'],
    ['format', { format: 'ipv9' }, 'must be a valid ipv9'],
    ['pattern', { pattern: '^a' }, 'must match the pattern ^a'],
  ])('%s %o: %s', (keyword, params, words) => {
    const error = { keyword, params, instancePath: '', schemaPath: '' };

    expect(describeError(error)).toBe(words);
  });
});

describe('listMembers', () => {
  const takes = (...properties: string[]) => [{ properties, patterns: [] }];
  const closed = {
    '': takes('user_id', 'address', 'rooms'),
    '/address': takes('street', 'city'),
    '/rooms/*': [{ properties: ['name'], patterns: ['^x-'] }],
    '/empty': takes(),
    '/wide': takes(...Array.from({ length: 23 }, (_, i) => `m${i}`)),
    // Two forms (oneOf) of one object, and a pattern only one of two forms takes.
    '/payment': [...takes('kind', 'number'), ...takes('kind', 'iban')],
    '/contact': [...takes('email'), ...takes('phone')],
    '/labels': [
      { properties: [], patterns: ['^x-'] },
      { properties: ['colour'], patterns: [] },
    ],
  };

  it('names the members of the object at a pointer', () => {
    expect(listMembers(closed, '')).toBe('user_id, address, rooms');
    expect(listMembers(closed, '/address')).toBe('street, city');
  });

  it('takes * as any array index or member name', () => {
    expect(listMembers(closed, '/rooms/3')).toBe('name, names matching ^x-');
    expect(listMembers(closed, '/rooms/3/deeper')).toBeUndefined();
  });

  it('says "no members" of an object that takes none, and names at most 20', () => {
    expect(listMembers(closed, '/empty')).toBe('no members');
    expect(listMembers(closed, '/wide')).toBe(
      `${Array.from({ length: 20 }, (_, i) => `m${i}`).join(', ')}, and 3 more`,
    );
  });

  it('knows nothing of a place the schema does not close', () => {
    expect(listMembers(closed, '/address/street')).toBeUndefined();
    expect(listMembers({}, '')).toBeUndefined();
  });

  it('never offers the refused member: only the forms that refuse it can have', () => {
    expect(listMembers(closed, '/payment', 'number')).toBe('kind, iban');
    expect(listMembers(closed, '/payment', 'iban')).toBe('kind, number');
    expect(listMembers(closed, '/contact', 'email')).toBe('phone');
    expect(listMembers(closed, '/labels', 'x-size')).toBe('colour');
    expect(listMembers(closed, '/labels', 'colour')).toBe('names matching ^x-');
  });

  it('says the forms as alternatives when each of them refuses the member', () => {
    expect(listMembers(closed, '/payment', 'fax')).toBe('either kind, number; or kind, iban');
    expect(listMembers(closed, '/contact')).toBe('either email; or phone');
  });
});
