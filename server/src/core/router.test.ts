import { describe, expect, it } from 'vitest';
import { createRouter, normalizePath } from './router.js';

describe('the router', () => {
  const router = createRouter();

  it.each([
    ['GET', '/dynamo', 'getItem'],
    ['POST', '/dynamo', 'createItem'],
    ['PATCH', '/dynamo', 'updateItem'],
    ['DELETE', '/dynamo', 'deleteItem'],
    ['GET', '/dynamo/', 'getItem'],
    ['GET', '/dynamo//', 'getItem'],
    ['HEAD', '/dynamo', 'getItem'],
  ])('routes %s %s to %s', (method, path, operationId) => {
    // Act
    const route = router.match(method, path);

    // Assess
    expect(route?.operationId).toBe(operationId);
    expect(route?.spec.path).toBe('/dynamo');
  });

  it.each([
    ['get', '/dynamo', 'methods are case-sensitive (RFC 9110 §9.1)'],
    ['PUT', '/dynamo', 'a method the path does not serve'],
    ['GET', '/DYNAMO', 'paths are case-sensitive'],
    ['GET', '//dynamo', 'an empty first segment'],
    ['GET', '/dynamo/x', 'a longer path'],
    ['GET', '/', 'the root'],
  ])('matches nothing for %s %s: %s', (method, path) => {
    expect(router.match(method, path)).toBeUndefined();
  });

  it('lists the methods a known path serves, in a fixed order, for Allow', () => {
    expect(router.allowedMethods('/dynamo')).toEqual(['GET', 'POST', 'DELETE', 'HEAD', 'PATCH']);
    expect(router.allowedMethods('/dynamo/')).toEqual(['GET', 'POST', 'DELETE', 'HEAD', 'PATCH']);
    expect(router.allowedMethods('/nothing')).toBeUndefined();
  });

  it('lists every method served anywhere, and OPTIONS, for the server as a whole (*)', () => {
    expect(router.allowedMethods('*')).toEqual([
      'GET',
      'POST',
      'DELETE',
      'OPTIONS',
      'HEAD',
      'PATCH',
    ]);
    expect(router.match('OPTIONS', '*')).toBeUndefined();
  });

  it('routes a table it is given, not only the contract', () => {
    // Prepare
    const spec = {
      method: 'GET',
      path: '/a',
      query: [],
      headers: [],
      requestBody: undefined,
      validateQuery: () => true,
      validateHeaders: () => true,
    };
    const custom = createRouter({
      getItem: spec,
      createItem: { ...spec, method: 'POST' },
      updateItem: { ...spec, path: '/b' },
      deleteItem: { ...spec, method: 'DELETE', path: '/b' },
      listItems: { ...spec, path: '/c' },
    });

    // Act + Assess
    expect(custom.match('POST', '/a')?.operationId).toBe('createItem');
    expect(custom.match('HEAD', '/b')?.operationId).toBe('updateItem');
    expect(custom.allowedMethods('/b')).toEqual(['GET', 'DELETE', 'HEAD']);
  });
});

describe('normalizePath', () => {
  it.each([
    ['/dynamo', '/dynamo'],
    ['/dynamo/', '/dynamo'],
    ['/dynamo///', '/dynamo'],
    ['/', '/'],
    ['//', '/'],
  ])('%j is %j', (path, normalized) => {
    expect(normalizePath(path)).toBe(normalized);
  });
});
