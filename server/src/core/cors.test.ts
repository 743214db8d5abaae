import { describe, expect, it } from 'vitest';
import { allowedRequestHeaders, createCors } from './cors.js';
import type { OperationSpec } from './openapi/operation.js';
import { operations } from './openapi/operations.gen.js';
import type { ApiRequest, ApiResponse } from './request.js';

const HEADERS = allowedRequestHeaders(Object.values(operations));
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
    const cors = createCors(undefined, methodsAt, HEADERS);

    expect(cors.preflight(preflightFrom('https://a.example'))).toBeUndefined();
    expect(cors.decorate(request('GET', { origin: 'https://a.example' }), answer)).toBe(answer);
  });

  it('answers a listed origin’s preflight with the path’s methods', () => {
    const cors = createCors(['https://a.example'], methodsAt, HEADERS);

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
    expect(
      createCors(['https://a.example'], methodsAt, HEADERS).preflight(preflight),
    ).toBeUndefined();
  });

  it('lets a listed origin read ETag, Location and Retry-After, and varies on Origin', () => {
    const cors = createCors(['https://a.example'], methodsAt, HEADERS);

    const listed = cors.decorate(request('GET', { origin: 'https://a.example' }), answer);
    const other = cors.decorate(request('GET', { origin: 'https://evil.example' }), answer);

    expect(listed.headers).toMatchObject({
      'access-control-allow-origin': 'https://a.example',
      'access-control-expose-headers': 'ETag, Location, Retry-After, Idempotent-Replayed',
      vary: 'Origin',
    });
    expect(other.headers).toEqual({ etag: '"1"', vary: 'Origin' });
  });
});

describe('the request headers a page may send', () => {
  const lower = (names: readonly string[]) => names.map((name) => name.toLowerCase());

  it('are every header parameter of the contract, and Content-Type for bodies', () => {
    const declared = Object.values(operations).flatMap((op) => op.headers.map((h) => h.key));

    expect(declared.length).toBeGreaterThan(0);
    expect(lower(HEADERS)).toEqual(expect.arrayContaining([...declared, 'content-type']));
  });

  it('are what the SDK authenticates with: API keys, bearer tokens and SigV4', () => {
    expect(lower(HEADERS)).toEqual(
      expect.arrayContaining([
        'x-api-key',
        'authorization',
        'x-amz-date',
        'x-amz-security-token',
        'x-amz-content-sha256',
        'x-request-id',
      ]),
    );
  });

  it('follow the contract: a header parameter it adds is allowed without a code change', () => {
    const withNew: OperationSpec = {
      ...operations.updateItem,
      headers: [{ name: 'Idempotency-Key', key: 'idempotency-key', required: false }],
    };

    expect(allowedRequestHeaders([withNew])).toContain('Idempotency-Key');
    expect(allowedRequestHeaders([operations.getItem])).not.toContain('Content-Type');
  });

  it("add an app's own (CORS_ALLOW_HEADERS), each name once whatever its case", () => {
    const headers = allowedRequestHeaders(Object.values(operations), ['x-tenant', 'IF-MATCH']);

    expect(headers.at(-1)).toBe('x-tenant');
    expect(lower(headers).filter((name) => name === 'if-match')).toHaveLength(1);
  });

  it('are what a preflight answer lists', () => {
    const cors = createCors(['https://a.example'], methodsAt, ['If-Match', 'x-tenant']);

    const response = cors.preflight(preflightFrom('https://a.example'));

    expect(response?.headers['access-control-allow-headers']).toBe('If-Match, x-tenant');
  });
});
