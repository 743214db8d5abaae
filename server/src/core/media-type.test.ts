import { describe, expect, it } from 'vitest';
import { matchMediaType } from './media-type.js';

const JSON_ONLY = ['application/json'];

describe('matchMediaType', () => {
  it.each([
    ['application/json', 'application/json'],
    ['Application/JSON', 'application/json'],
    ['application/json; charset=utf-8', 'application/json'],
    ['application/json;charset="UTF-8"', 'application/json'],
    ['application/json; charset=utf8', 'application/json'],
    ['application/json; charset=latin1', 'application/json'],
    [' application/json ; foo=bar', 'application/json'],
  ])('takes %j as %j: parameters have no effect on JSON (RFC 8259 §11)', (contentType, matched) => {
    expect(matchMediaType(contentType, JSON_ONLY)).toBe(matched);
  });

  it.each([
    [undefined],
    ['text/plain'],
    ['application/x-www-form-urlencoded'],
    ['application/jsonp'],
    ['application/vnd.api+json'],
    ['application/problem+json'],
    ['application/merge-patch+json'],
    ['*/*'],
    ['application/json, text/plain'],
    ['json'],
    [''],
  ])('refuses %j, which is not a media type the operation lists', (contentType) => {
    expect(matchMediaType(contentType, JSON_ONLY)).toBeUndefined();
  });

  it('matches a non-JSON type only when the operation accepts it', () => {
    expect(matchMediaType('text/csv', ['text/csv', 'application/json'])).toBe('text/csv');
    expect(matchMediaType('text/csv', JSON_ONLY)).toBeUndefined();
  });
});
