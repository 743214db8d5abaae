import { describe, expect, it } from 'vitest';
import { fingerprint, parseIdempotencyKey, type RequestContent } from './idempotency.js';
import { ValidationError } from './problems.js';

describe('parseIdempotencyKey (an sf-string, RFC 8941 §3.3.3, or a token)', () => {
  it.each([
    ['"8e03978e-40d5-43e8-bc93-6894a57f9324"', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['8e03978e-40d5-43e8-bc93-6894a57f9324', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['  "padded"  ', 'padded'],
    ['"with spaces and (punctuation)!"', 'with spaces and (punctuation)!'],
    ['"quote \\" and backslash \\\\"', 'quote " and backslash \\'],
    ["token!#$%&'*+-.^_`|~09AZaz", "token!#$%&'*+-.^_`|~09AZaz"],
    [`"${'k'.repeat(255)}"`, 'k'.repeat(255)],
    ['k'.repeat(255), 'k'.repeat(255)],
    // 255 characters once unescaped, 510 as sent.
    [`"${'\\\\'.repeat(255)}"`, '\\'.repeat(255)],
  ])('takes %j as the key %j', (value, key) => {
    expect(parseIdempotencyKey(value)).toBe(key);
  });

  it.each([
    ['', /^is empty:/],
    ['""', /^is an empty string:/],
    ['"unterminated', /^has no closing double quote:/],
    ['"a"b', /^has more after the closing double quote:/],
    ['"a";param=1', /^has more after the closing double quote:/],
    ['"a\\b"', /^has a backslash before "b", which is not " or \\:/],
    ['"tab\there"', /^has a character a string cannot hold \(U\+0009\):/],
    ['"ünï"', /^has a character a string cannot hold \(U\+00FC\):/],
    ['two words', /^is neither a string in double quotes nor a token:/],
    ['a,b', /^is neither a string in double quotes nor a token:/],
    [`"${'k'.repeat(256)}"`, /^is 256 characters long:/],
    ['k'.repeat(256), /^is 256 characters long:/],
  ])('refuses %j with a 400 naming the header: %s', (value, detail) => {
    let error: unknown;
    try {
      parseIdempotencyKey(value);
    } catch (e) {
      error = e;
    }

    expect(error).toBeInstanceOf(ValidationError);
    const [field] = (error as ValidationError).errors ?? [];
    expect(field?.header).toBe('Idempotency-Key');
    expect(field?.detail).toMatch(detail);
    expect(field?.detail).toContain('such as "8e03978e-40d5-43e8-bc93-6894a57f9324"');
  });
});

describe('fingerprint', () => {
  const request: RequestContent = {
    method: 'POST',
    path: '/dynamo',
    query: '',
    mediaType: 'application/json',
    body: '{"user_id":"ada"}',
    ifMatch: undefined,
    ifNoneMatch: undefined,
  };

  it('is the same for the same request', () => {
    expect(fingerprint({ ...request })).toBe(fingerprint(request));
  });

  it.each<[string, Partial<RequestContent>]>([
    ['method', { method: 'PATCH' }],
    ['path', { path: '/dynamo/items' }],
    ['query', { query: 'a=1' }],
    ['media type', { mediaType: 'application/merge-patch+json' }],
    ['body, byte for byte', { body: '{ "user_id": "ada" }' }],
    ['If-Match', { ifMatch: '"1"' }],
    ['If-None-Match', { ifNoneMatch: '*' }],
  ])('differs when the %s differs', (_what, change) => {
    expect(fingerprint({ ...request, ...change })).not.toBe(fingerprint(request));
  });

  it('cannot be made equal by moving text between the head and the body', () => {
    const a = fingerprint({ ...request, query: 'x', body: 'y' });
    const b = fingerprint({ ...request, query: '', body: 'x\ny' });

    expect(a).not.toBe(b);
  });
});
