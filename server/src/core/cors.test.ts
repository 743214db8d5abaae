import { describe, expect, it } from 'vitest';
import { createCors } from './cors.js';
import type { ApiRequest, ApiResponse } from './request.js';

const methodsAt = (path: string) => (path === '/dynamo' ? ['GET', 'POST'] : undefined);
const request = (method: string, headers: Record<string, string>): ApiRequest => ({
  method,
  path: '/dynamo',
  query: '',
  headers,
  body: undefined,
  requestId: 'r',
});
const answer: ApiResponse = { statusCode: 200, headers: { etag: '"1"' }, body: '{}' };
const preflightFrom = (origin: string) =>
  request('OPTIONS', { origin, 'access-control-request-method': 'POST' });

describe('CORS', () => {
  it('is off without an allow-list: no preflight answer, no header added', () => {
    const cors = createCors(undefined, methodsAt);

    expect(cors.preflight(preflightFrom('https://a.example'))).toBeUndefined();
    expect(cors.decorate(request('GET', { origin: 'https://a.example' }), answer)).toBe(answer);
  });

  it('answers a listed origin’s preflight with the path’s methods', () => {
    const cors = createCors(['https://a.example'], methodsAt);

    const response = cors.preflight(preflightFrom('https://a.example'));

    expect(response?.statusCode).toBe(204);
    expect(response?.headers).toMatchObject({
      'access-control-allow-origin': 'https://a.example',
      'access-control-allow-methods': 'GET, POST',
      'access-control-max-age': '600',
    });
    expect(response?.headers['access-control-allow-headers']).toMatch(/If-Match/);
  });

  it.each([
    ['an origin not on the list', preflightFrom('https://evil.example')],
    [
      'OPTIONS without Access-Control-Request-Method',
      request('OPTIONS', { origin: 'https://a.example' }),
    ],
    ['a path nothing is served at', { ...preflightFrom('https://a.example'), path: '/x' }],
  ])('gives no preflight answer to %s', (_what, preflight) => {
    expect(createCors(['https://a.example'], methodsAt).preflight(preflight)).toBeUndefined();
  });

  it('lets a listed origin read ETag, Location and Retry-After, and varies on Origin', () => {
    const cors = createCors(['https://a.example'], methodsAt);

    const listed = cors.decorate(request('GET', { origin: 'https://a.example' }), answer);
    const other = cors.decorate(request('GET', { origin: 'https://evil.example' }), answer);

    expect(listed.headers).toMatchObject({
      'access-control-allow-origin': 'https://a.example',
      'access-control-expose-headers': 'ETag, Location, Retry-After',
      vary: 'Origin',
    });
    expect(other.headers).toEqual({ etag: '"1"', vary: 'Origin' });
  });
});
