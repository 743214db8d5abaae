/**
 * Which operation of openapi.yaml a request is: a map lookup on method and path, built once
 * from the generated operations table.
 */
import type { OperationSpec } from './openapi/operation.js';
import { type OperationId, operations } from './openapi/operations.gen.js';

export interface Route {
  readonly operationId: OperationId;
  readonly spec: OperationSpec;
}

export interface Router {
  /**
   * The operation serving `method` at `path` (decoded), or `undefined` when none does. `HEAD`
   * is served by the path's `GET` operation, without the body (RFC 9110 §9.3.2).
   */
  match(method: string, path: string): Route | undefined;
  /**
   * The methods served at `path` (upper case, for `Allow`), or `undefined` for an unknown path.
   * At `*` (the server as a whole, RFC 9110 §9.3.7): every method served anywhere, and `OPTIONS`.
   */
  allowedMethods(path: string): readonly string[] | undefined;
}

/** `Allow` lists methods in this order, whatever order the contract declares them in. */
const METHOD_ORDER = ['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE'];

/** @param table the operations to route to; the generated table of openapi.yaml by default. */
export function createRouter(
  table: Readonly<Record<OperationId, OperationSpec>> = operations,
): Router {
  const byRoute = new Map<string, Route>();
  const methodsByPath = new Map<string, Set<string>>();
  for (const [operationId, spec] of Object.entries(table) as Array<[OperationId, OperationSpec]>) {
    byRoute.set(`${spec.method} ${spec.path}`, { operationId, spec });
    const methods = methodsByPath.get(spec.path) ?? new Set<string>();
    methods.add(spec.method);
    if (spec.method === 'GET') methods.add('HEAD');
    methodsByPath.set(spec.path, methods);
  }
  methodsByPath.set(
    '*',
    new Set(['OPTIONS', ...[...methodsByPath.values()].flatMap((m) => [...m])]),
  );
  const allowByPath = new Map(
    [...methodsByPath].map(([path, methods]) => [path, METHOD_ORDER.filter((m) => methods.has(m))]),
  );
  return {
    // Methods are case-sensitive (RFC 9110 §9.1): `get` is not `GET`.
    match(method, path) {
      const normalized = normalizePath(path);
      const route = byRoute.get(`${method} ${normalized}`);
      return route === undefined && method === 'HEAD' ? byRoute.get(`GET ${normalized}`) : route;
    },
    allowedMethods: (path) => allowByPath.get(normalizePath(path)),
  };
}

/** `/dynamo/` and `/dynamo//` are `/dynamo`; the root stays `/`. */
export function normalizePath(path: string): string {
  let end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) === 0x2f /* / */) end--;
  return path.slice(0, end);
}
