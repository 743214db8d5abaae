import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createConformance, type SeenResponse } from './conformance.js';

const document = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'));
// The seed has no HEAD operation of its own yet; one documented like its GET.
document.paths['/dynamo'].head = { ...document.paths['/dynamo'].get, operationId: 'headItem' };
const conformance = createConformance(document);

/** The contract's own example of an item: an item whatever a team made `Item`. */
const item: SeenResponse = {
  status: 200,
  headers: {
    'content-type': 'application/json',
    etag: '"3.Hm7kQx0pZr1c"',
    'cache-control': 'no-cache',
  },
  body: JSON.stringify(document.components.schemas.Item.example),
};
const problem = (
  status: number,
  body: object = { type: 'urn:x', title: 'T', status, detail: 'd' },
): SeenResponse => ({
  status,
  headers: { 'content-type': 'application/problem+json' },
  body: JSON.stringify(body),
});

describe('an answer against openapi.yaml', () => {
  it.each<[string, string | undefined, SeenResponse, string[]]>([
    ['a documented item with its ETag', 'getItem', item, []],
    ['a HEAD answer: the headers of a GET, no body', 'headItem', { ...item, body: '' }, []],
    ['a HEAD answer with a body', 'headItem', item, ['a HEAD answer has a body']],
    [
      'no ETag',
      'getItem',
      { ...item, headers: { 'content-type': 'application/json', 'cache-control': 'no-cache' } },
      ['the required header ETag is missing'],
    ],
    [
      'no Cache-Control, so that a cache picks its own freshness',
      'getItem',
      { ...item, headers: { 'content-type': 'application/json', etag: '"3.Hm7kQx0pZr1c"' } },
      ['the required header Cache-Control is missing'],
    ],
    [
      'the ETag of an item stored before incarnations',
      'getItem',
      { ...item, headers: { ...item.headers, etag: '"3"' } },
      [],
    ],
    [
      'an ETag that is not a strong tag of a version',
      'getItem',
      { ...item, headers: { ...item.headers, etag: 'W/"3.Hm7kQx0pZr1c"' } },
      ['the header ETag must match pattern "^"[0-9]+(\\.[A-Za-z0-9_-]+)?"$"'],
    ],
    [
      'an undocumented status',
      'getItem',
      { ...item, status: 201 },
      ['getItem does not document status 201'],
    ],
    [
      'an error that is not a problem',
      'getItem',
      { status: 404, headers: { 'content-type': 'application/json' }, body: '{"message":"no"}' },
      [
        'getItem 404: media type application/json is not one of application/problem+json',
        'the problem says status undefined, the answer 404',
      ],
    ],
    [
      "a problem whose status is not the answer's",
      'getItem',
      problem(404, { type: 'urn:x', title: 'T', status: 400, detail: 'd' }),
      ['the problem says status 400, the answer 404'],
    ],
    [
      'a success for a request no operation matches',
      undefined,
      item,
      [
        'an unmatched request got 200',
        'an unmatched request got application/json',
        ...['type', 'title', 'status', 'detail'].map(
          (p) => `the problem must have required property '${p}'`,
        ),
      ],
    ],
  ])('%s', (_what, operationId, response, violations) => {
    expect(conformance.checkResponse(operationId, response)).toEqual(violations);
  });
});
