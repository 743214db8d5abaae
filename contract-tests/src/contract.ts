/**
 * openapi.yaml read as what a client can send: each operation's method, path, parameters and
 * request bodies (per media type), with `$ref`s followed. Whatever a document adds (an
 * operation, a parameter, a media type) shows up here, so the generated requests cover it
 * without code changes. OpenAPI 3.0 (https://spec.openapis.org/oas/v3.0.3).
 */

/** A JSON Schema as OpenAPI 3.0 writes it (a subset of draft 4 plus `nullable`). */
export type Schema = { readonly [keyword: string]: unknown };

export interface Parameter {
  readonly name: string;
  readonly in: 'query' | 'header' | 'path' | 'cookie';
  readonly required: boolean;
  readonly schema: Schema;
}

export interface RequestBody {
  readonly required: boolean;
  /** Media type (e.g. `application/json`) to its schema. */
  readonly content: ReadonlyMap<string, Schema>;
}

export interface Operation {
  readonly id: string;
  /** Upper case, e.g. `PATCH`. */
  readonly method: string;
  /** As the document writes it, e.g. `/dynamo` or `/items/{id}`. */
  readonly path: string;
  readonly parameters: readonly Parameter[];
  readonly body?: RequestBody;
  /** The statuses the operation documents (`default` left out). */
  readonly statuses: ReadonlySet<number>;
}

export interface Contract {
  readonly document: object;
  /** In document order. */
  readonly operations: readonly Operation[];
  /** @throws Error naming `id` when the document has no such operation. */
  operation(id: string): Operation;
  /** Follows `$ref`s (local ones, `#/...`) until `value` is not one. */
  resolve<T>(value: T): T;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

interface RawParameter {
  readonly name: string;
  readonly in: Parameter['in'];
  readonly required?: boolean;
  readonly schema?: Schema;
}
interface RawOperation {
  readonly operationId?: string;
  readonly parameters?: readonly unknown[];
  readonly requestBody?: unknown;
  readonly responses?: Record<string, unknown>;
}

/**
 * @param document a parsed OpenAPI 3.0 document.
 * @throws Error when an operation has no `operationId` (results are named by it).
 */
export function readContract(document: object): Contract {
  const resolve = <T>(value: T): T => {
    let node: unknown = value;
    for (let hops = 0; isReference(node); hops += 1) {
      if (hops > 32) throw new Error(`$ref cycle at ${node.$ref}`);
      node = pointerGet(document, node.$ref);
    }
    return node as T;
  };

  const operations: Operation[] = [];
  const paths = (document as { paths?: Record<string, Record<string, unknown>> }).paths ?? {};
  for (const [path, item] of Object.entries(paths)) {
    const shared = (item.parameters as readonly unknown[] | undefined) ?? [];
    for (const method of METHODS) {
      const raw = item[method] as RawOperation | undefined;
      if (raw === undefined) continue;
      if (raw.operationId === undefined) {
        throw new Error(`${method.toUpperCase()} ${path} has no operationId`);
      }
      // Operation-level parameters override path-level ones of the same name and location.
      const byKey = new Map<string, Parameter>();
      for (const ref of [...shared, ...(raw.parameters ?? [])]) {
        const p = resolve(ref as RawParameter);
        byKey.set(`${p.in}:${p.in === 'header' ? p.name.toLowerCase() : p.name}`, {
          name: p.name,
          in: p.in,
          required: p.required === true || p.in === 'path',
          schema: p.schema ?? {},
        });
      }
      const statuses = new Set(
        Object.keys(raw.responses ?? {})
          .filter((s) => /^\d{3}$/.test(s))
          .map(Number),
      );
      const body = readBody(raw.requestBody === undefined ? undefined : resolve(raw.requestBody));
      operations.push({
        id: raw.operationId,
        method: method.toUpperCase(),
        path,
        parameters: [...byKey.values()],
        ...(body === undefined ? {} : { body }),
        statuses,
      });
    }
  }

  return {
    document,
    operations,
    operation(id) {
      const found = operations.find((o) => o.id === id);
      if (found === undefined) throw new Error(`openapi.yaml has no operation ${id}`);
      return found;
    },
    resolve,
  };
}

function readBody(raw: unknown): RequestBody | undefined {
  if (raw === undefined) return undefined;
  const body = raw as { required?: boolean; content?: Record<string, { schema?: Schema }> };
  const content = new Map<string, Schema>();
  for (const [mediaType, entry] of Object.entries(body.content ?? {})) {
    content.set(mediaType, entry.schema ?? {});
  }
  return { required: body.required === true, content };
}

function isReference(value: unknown): value is { readonly $ref: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { $ref?: unknown }).$ref === 'string'
  );
}

/** The value at a local JSON Pointer reference (`#/components/schemas/Item`, RFC 6901). */
function pointerGet(document: object, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are followed: ${ref}`);
  let node: unknown = document;
  for (const token of ref.slice(2).split('/')) {
    const key = decodeURIComponent(token).replaceAll('~1', '/').replaceAll('~0', '~');
    node = (node as Record<string, unknown> | undefined)?.[key];
    if (node === undefined) throw new Error(`$ref ${ref} points at nothing`);
  }
  return node;
}
