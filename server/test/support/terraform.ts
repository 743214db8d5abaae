/**
 * Reads `terraform/` the way the tests need it: every `.tf` parsed with `@cdktf/hcl2json` (the
 * HCL parser Terraform uses, compiled to WASM), and a small evaluator for the expressions the
 * configuration uses, so tests can check what would be deployed, not how the HCL is spelled.
 *
 * Values Terraform only knows after apply (a resource's `arn`, `id`, ...) evaluate to
 * `Unknown`, shown as `${aws_x.y.arn}` in strings. Attributes a resource sets in its
 * configuration evaluate to that configuration. Anything the evaluator does not know (a
 * function, an operator, splats) throws, naming it: a new construct fails the tests loudly
 * rather than being checked loosely. Limits: optional() defaults inside object-typed variables
 * are not applied; type conversions are not modelled.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

/**
 * Imported by a name TypeScript does not resolve: the package's type declarations pull in the DOM
 * lib (`/// <reference lib="dom" />`), which would change how the whole project type-checks.
 */
const HCL2JSON: string = '@cdktf/hcl2json';
interface Hcl2Json {
  parse(filename: string, contents: string): Promise<Record<string, unknown>>;
  getExpressionAst(filename: string, expression: string): Promise<unknown>;
}
const { parse, getExpressionAst } = (await import(HCL2JSON)) as Hcl2Json;

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const TERRAFORM_DIR = join(REPO_ROOT, 'terraform');

/** A block body as hcl2json gives it: attributes, and nested blocks as arrays of bodies. */
export type Body = Readonly<Record<string, unknown>>;

export interface TerraformModule {
  readonly dir: string;
  /** Each `.tf` file's name and its parsed content. */
  readonly files: ReadonlyMap<string, Body>;
  /** `type.name` of every resource, and its body. */
  readonly resources: ReadonlyMap<string, Body>;
  /** `type.name` of every data source, and its body. */
  readonly data: ReadonlyMap<string, Body>;
  readonly variables: ReadonlyMap<string, Body>;
  readonly outputs: ReadonlyMap<string, Body>;
  /** Each local's unevaluated value. */
  readonly locals: ReadonlyMap<string, unknown>;
}

export async function loadModule(dir: string = TERRAFORM_DIR): Promise<TerraformModule> {
  const files = new Map<string, Body>();
  const resources = new Map<string, Body>();
  const data = new Map<string, Body>();
  const variables = new Map<string, Body>();
  const outputs = new Map<string, Body>();
  const locals = new Map<string, unknown>();
  const add = <T>(map: Map<string, T>, key: string, value: T, file: string) => {
    if (map.has(key)) throw new Error(`${key} is declared twice (again in ${file})`);
    map.set(key, value);
  };
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.tf'))
    .sort()) {
    const parsed = (await parse(file, readFileSync(join(dir, file), 'utf8'))) as Body;
    files.set(file, parsed);
    for (const [kind, map] of [
      ['resource', resources],
      ['data', data],
    ] as const) {
      for (const [type, byName] of Object.entries((parsed[kind] ?? {}) as Body)) {
        for (const [name, bodies] of Object.entries(byName as Body)) {
          add(map, `${type}.${name}`, single(bodies, `${kind} ${type}.${name}`), file);
        }
      }
    }
    for (const [name, bodies] of Object.entries((parsed.variable ?? {}) as Body)) {
      add(variables, name, single(bodies, `variable ${name}`), file);
    }
    for (const [name, bodies] of Object.entries((parsed.output ?? {}) as Body)) {
      add(outputs, name, single(bodies, `output ${name}`), file);
    }
    for (const block of (parsed.locals ?? []) as Body[]) {
      for (const [name, value] of Object.entries(block)) add(locals, name, value, file);
    }
  }
  return { dir, files, resources, data, variables, outputs, locals };
}

function single(bodies: unknown, what: string): Body {
  if (!Array.isArray(bodies) || bodies.length !== 1) throw new Error(`${what}: one body expected`);
  return bodies[0] as Body;
}

/** A value known only after apply, such as `aws_dynamodb_table.items.arn`. */
export class Unknown {
  constructor(readonly ref: string) {}
  toString(): string {
    return `\${${this.ref}}`;
  }
}

/** A resource instance, as a reference like `aws_x.y` or `aws_x.y["key"]` evaluates. */
class Instance {
  constructor(
    readonly address: string,
    readonly body: Body,
    readonly scope: Scope,
  ) {}
}

type Scope = Readonly<Record<string, unknown>>;
type Node = { type: string; meta: Record<string, unknown>; children: Node[] };

export interface EvaluatorOptions {
  /** Values for input variables; the others take their defaults. */
  readonly variables?: Readonly<Record<string, unknown>>;
  /** File contents by absolute path, read instead of the disk (to try a changed contract). */
  readonly files?: Readonly<Record<string, string>>;
  /** Absolute paths taken as missing whatever the disk has (a fresh clone without a build). */
  readonly missingFiles?: readonly string[];
}

export class Evaluator {
  /** Absolute paths of the files `file()` read. */
  readonly filesRead = new Set<string>();
  readonly #module: TerraformModule;
  readonly #options: EvaluatorOptions;
  readonly #locals = new Map<string, Promise<unknown>>();
  static readonly #asts = new Map<string, Promise<Node>>();

  constructor(module: TerraformModule, options: EvaluatorOptions = {}) {
    this.#module = module;
    this.#options = options;
  }

  /**
   * Evaluates an attribute value as hcl2json gives it (strings may hold `${...}`). Unknown values
   * are given as their reference, `${aws_x.y.arn}`.
   */
  async value(raw: unknown): Promise<unknown> {
    return render(await this.#value(raw, {}));
  }

  async #value(raw: unknown, scope: Scope): Promise<unknown> {
    if (typeof raw === 'string') {
      return raw.includes('${') ? this.expression(toHclTemplate(raw), scope) : raw;
    }
    if (Array.isArray(raw)) return Promise.all(raw.map((item) => this.#value(item, scope)));
    if (typeof raw === 'object' && raw !== null) {
      const entries = await Promise.all(
        Object.entries(raw).map(async ([k, v]) => [k, await this.#value(v, scope)] as const),
      );
      return Object.fromEntries(entries);
    }
    return raw;
  }

  /** Evaluates a resource's (or data source's) body for each of its instances. */
  async instances(
    address: string,
  ): Promise<Array<{ key: string | number | undefined; body: Body }>> {
    const list = await this.#instancesOf(address);
    return Promise.all(
      list.map(async (instance) => ({
        key:
          instance.scope.each === undefined
            ? undefined
            : (instance.scope.each as { key: string }).key,
        body: render(
          await this.#value(
            Object.fromEntries(
              Object.entries(instance.body).filter(([k]) => !META_ARGUMENTS.has(k)),
            ),
            instance.scope,
          ),
        ) as Body,
      })),
    );
  }

  /** The value of input variable `name`: the one given, or its default. */
  async variable(name: string): Promise<unknown> {
    const given = this.#options.variables;
    if (given !== undefined && Object.hasOwn(given, name)) return given[name];
    const declared = this.#module.variables.get(name);
    if (declared === undefined) throw new Error(`var.${name} is not declared`);
    if (!Object.hasOwn(declared, 'default')) throw new Error(`var.${name} has no default`);
    return this.#value(declared.default, {});
  }

  async local(name: string): Promise<unknown> {
    let value = this.#locals.get(name);
    if (value === undefined) {
      if (!this.#module.locals.has(name)) throw new Error(`local.${name} is not declared`);
      value = this.#value(this.#module.locals.get(name), {});
      this.#locals.set(name, value);
    }
    return value;
  }

  async expression(text: string, scope: Scope = {}): Promise<unknown> {
    let ast = Evaluator.#asts.get(text);
    if (ast === undefined) {
      ast = getExpressionAst('expression.tf', text) as Promise<unknown> as Promise<Node>;
      Evaluator.#asts.set(text, ast);
    }
    return this.#node(await ast, scope);
  }

  async #node(node: Node, scope: Scope): Promise<unknown> {
    const meta = node.meta;
    switch (node.type) {
      case 'literalValue':
        return literal(meta.type as string, meta.value as string);
      case 'templateWrap':
        return this.#node(only(node), scope);
      case 'template': {
        const parts = await Promise.all(node.children.map((c) => this.#node(c, scope)));
        return parts.map((p) => (p instanceof Unknown ? p.toString() : stringOf(p))).join('');
      }
      case 'tuple':
        return Promise.all(node.children.map((c) => this.#node(c, scope)));
      case 'object': {
        const items = Object.entries(meta.items as Record<string, string>);
        const entries = await Promise.all(
          items.map(async ([k, v]) => {
            const key = /^[A-Za-z_][\w-]*$/.test(k) ? k : stringOf(await this.expression(k, scope));
            return [key, await this.expression(v, scope)] as const;
          }),
        );
        return Object.fromEntries(entries);
      }
      case 'scopeTraversal':
        return this.#traverse(undefined, meta.traversal as Segment[], scope);
      case 'relativeTraversal':
        return this.#traverse(
          await this.#node(only(node), scope),
          meta.traversal as Segment[],
          scope,
        );
      case 'index': {
        const collection = await this.expression(meta.collectionExpression as string, scope);
        const key = await this.expression(meta.keyExpression as string, scope);
        return this.#index(collection, key as string | number, meta.value as string);
      }
      case 'conditional': {
        const condition = await this.expression(meta.conditionExpression as string, scope);
        if (typeof condition !== 'boolean') throw new Error(`not a known bool: ${meta.value}`);
        return this.expression(
          (condition ? meta.trueExpression : meta.falseExpression) as string,
          scope,
        );
      }
      case 'unaryOp': {
        const value = await this.expression(meta.valueExpression as string, scope);
        if (meta.operator === 'logicalNot' && typeof value === 'boolean') return !value;
        if (meta.operator === 'negate' && typeof value === 'number') return -value;
        throw new Error(`unsupported: ${meta.value}`);
      }
      case 'binaryOp':
        return this.#binary(meta, scope);
      case 'function':
        return this.#call(node, scope);
      case 'for':
        return this.#for(meta, scope);
      case '':
        // Parentheses.
        return this.#node(only(node), scope);
      default:
        throw new Error(`unsupported expression (${node.type}): ${meta.value}`);
    }
  }

  async #traverse(start: unknown, segments: Segment[], scope: Scope): Promise<unknown> {
    let rest = segments;
    let value = start;
    if (start === undefined) {
      const [root, ...tail] = segments;
      if (root === undefined) throw new Error('empty traversal');
      rest = tail;
      const next = () => {
        const [segment, ...after] = rest;
        if (segment === undefined || segment.type !== 'nameTraversal') {
          throw new Error(`${root.segment} needs an attribute`);
        }
        rest = after;
        return segment.segment;
      };
      if (Object.hasOwn(scope, root.segment)) value = scope[root.segment];
      else if (root.segment === 'var') value = await this.variable(next());
      else if (root.segment === 'local') value = await this.local(next());
      else if (root.segment === 'path') {
        const what = next();
        if (what !== 'module' && what !== 'root') throw new Error(`path.${what}`);
        value = this.#module.dir;
      } else if (root.segment === 'data') {
        const type = next();
        value = await this.#reference(`data.${type}.${next()}`);
      } else if (/^[a-z0-9]+_[a-z0-9_]+$/.test(root.segment)) {
        value = await this.#reference(`${root.segment}.${next()}`);
      } else {
        throw new Error(`unknown name ${root.segment}`);
      }
    }
    for (const segment of rest) {
      const key =
        segment.type === 'indexTraversal'
          ? (JSON.parse(segment.segment) as string)
          : segment.segment;
      value = await this.#index(value, key, segment.segment);
    }
    return value;
  }

  async #index(value: unknown, key: string | number, what: string): Promise<unknown> {
    if (value instanceof Unknown) return new Unknown(`${value.ref}${accessor(key)}`);
    if (value instanceof Instance) {
      // Attributes the configuration sets are known; the others are the provider's.
      const raw = value.body[key];
      if (typeof key === 'string' && raw !== undefined && !isBlock(raw)) {
        return this.#value(raw, value.scope);
      }
      return new Unknown(`${value.address}${accessor(key)}`);
    }
    if (Array.isArray(value) && typeof key === 'number') {
      if (key >= value.length) throw new Error(`index ${key} out of range at ${what}`);
      return value[key];
    }
    if (typeof value === 'object' && value !== null && Object.hasOwn(value, key)) {
      return (value as Record<string, unknown>)[key];
    }
    throw new Error(`no ${key} in ${JSON.stringify(value)?.slice(0, 100)} (${what})`);
  }

  /** `aws_x.y`: one instance, a list (count) or an object (for_each) of instances. */
  async #reference(address: string): Promise<unknown> {
    const instances = await this.#instancesOf(address);
    const body = address.startsWith('data.')
      ? this.#module.data.get(address.slice(5))
      : this.#module.resources.get(address);
    if (body === undefined) throw new Error(`${address} is not declared`);
    if (Object.hasOwn(body, 'for_each')) {
      return Object.fromEntries(
        instances.map((i) => [(i.scope.each as { key: string }).key, i] as const),
      );
    }
    if (Object.hasOwn(body, 'count')) return instances;
    return instances[0];
  }

  async #instancesOf(address: string): Promise<Instance[]> {
    const body = address.startsWith('data.')
      ? this.#module.data.get(address.slice(5))
      : this.#module.resources.get(address);
    if (body === undefined) throw new Error(`${address} is not declared`);
    if (Object.hasOwn(body, 'for_each')) {
      const collection = await this.#value(body.for_each, {});
      // for_each takes a map or a set of strings; of a set (toset), each key is its value.
      const entries = Array.isArray(collection)
        ? collection.map((value) => [stringOf(value), value] as const)
        : entriesOf(collection);
      return entries.map(
        ([key, value]) =>
          new Instance(`${address}[${JSON.stringify(key)}]`, body, { each: { key, value } }),
      );
    }
    if (Object.hasOwn(body, 'count')) {
      const count = await this.#value(body.count, {});
      if (typeof count !== 'number') throw new Error(`${address}: count is not a known number`);
      return Array.from(
        { length: count },
        (_, index) => new Instance(`${address}[${index}]`, body, { count: { index } }),
      );
    }
    return [new Instance(address, body, {})];
  }

  async #binary(meta: Record<string, unknown>, scope: Scope): Promise<unknown> {
    const lhs = await this.expression(meta.lhsExpression as string, scope);
    const operator = meta.operator as string;
    if (operator === 'logicalAnd' && lhs === false) return false;
    if (operator === 'logicalOr' && lhs === true) return true;
    const rhs = await this.expression(meta.rhsExpression as string, scope);
    if (lhs instanceof Unknown || rhs instanceof Unknown) {
      throw new Error(`unknown operand in ${meta.value}`);
    }
    const n = (v: unknown) => {
      if (typeof v !== 'number') throw new Error(`not a number in ${meta.value}`);
      return v;
    };
    switch (operator) {
      case 'equal':
        return JSON.stringify(lhs) === JSON.stringify(rhs);
      case 'notEqual':
        return JSON.stringify(lhs) !== JSON.stringify(rhs);
      case 'logicalAnd':
      case 'logicalOr':
        if (typeof rhs !== 'boolean') throw new Error(`not a bool in ${meta.value}`);
        return rhs;
      case 'greaterThan':
        return n(lhs) > n(rhs);
      case 'greaterThanOrEqual':
        return n(lhs) >= n(rhs);
      case 'lessThan':
        return n(lhs) < n(rhs);
      case 'lessThanOrEqual':
        return n(lhs) <= n(rhs);
      case 'add':
        return n(lhs) + n(rhs);
      case 'subtract':
        return n(lhs) - n(rhs);
      case 'multiply':
        return n(lhs) * n(rhs);
      default:
        throw new Error(`unsupported operator ${operator} in ${meta.value}`);
    }
  }

  async #for(meta: Record<string, unknown>, scope: Scope): Promise<unknown> {
    if (meta.groupedValue === true) throw new Error(`grouping (...) unsupported: ${meta.value}`);
    const collection = await this.expression(meta.collectionExpression as string, scope);
    const keyVar = meta.keyVar as string;
    const valVar = meta.valVar as string;
    const condition = (meta.conditionalExpression as string | undefined) ?? '';
    const keyExpression = (meta.keyExpression as string | undefined) ?? '';
    const results: Array<readonly [unknown, unknown]> = [];
    for (const [key, value] of entriesOf(collection)) {
      const inner = { ...scope, [valVar]: value, ...(keyVar === '' ? {} : { [keyVar]: key }) };
      if (condition !== '') {
        const keep = await this.expression(condition, inner);
        if (typeof keep !== 'boolean') throw new Error(`not a known bool: ${condition}`);
        if (!keep) continue;
      }
      const k = keyExpression === '' ? undefined : await this.expression(keyExpression, inner);
      results.push([k, await this.expression(meta.valueExpression as string, inner)]);
    }
    if (keyExpression === '') return results.map(([, v]) => v);
    return Object.fromEntries(results.map(([k, v]) => [stringOf(k), v]));
  }

  async #call(node: Node, scope: Scope): Promise<unknown> {
    const name = node.meta.name as string;
    // Functions that catch their argument's errors evaluate it themselves.
    if (name === 'try' || name === 'can') {
      for (const child of node.children) {
        try {
          const value = await this.#node(child, scope);
          return name === 'can' ? true : value;
        } catch {}
      }
      if (name === 'can') return false;
      throw new Error(`no argument of ${node.meta.value} succeeded`);
    }
    let args = await Promise.all(node.children.map((c) => this.#node(c, scope)));
    if (node.meta.expandedFinalArgument === true) {
      const last = args.at(-1);
      if (!Array.isArray(last)) throw new Error(`cannot expand: ${node.meta.value}`);
      args = [...args.slice(0, -1), ...last];
    }
    const fn = FUNCTIONS[name];
    if (fn !== undefined) return fn(...args);
    switch (name) {
      case 'file': {
        const path = resolve(stringOf(args[0]));
        this.filesRead.add(path);
        if (this.#options.missingFiles?.includes(path)) throw new Error(`no file ${path}`);
        return this.#options.files?.[path] ?? readFileSync(path, 'utf8');
      }
      case 'fileexists': {
        const path = resolve(stringOf(args[0]));
        if (this.#options.missingFiles?.includes(path)) return false;
        return this.#options.files?.[path] !== undefined || existsSync(path);
      }
      case 'filebase64sha256': {
        // Like Terraform, fails when the file is missing; its hash is shown as the call.
        const path = resolve(stringOf(args[0]));
        const exists = this.#options.files?.[path] !== undefined || existsSync(path);
        if (this.#options.missingFiles?.includes(path) || !exists) {
          throw new Error(`filebase64sha256: no file ${path}`);
        }
        return new Unknown(`filebase64sha256(${JSON.stringify(args[0])})`);
      }
      default:
        throw new Error(`function ${name} is not supported by the test evaluator`);
    }
  }
}

/** Arguments about the resource, not of it; left out of evaluated bodies. */
const META_ARGUMENTS = new Set(['count', 'for_each', 'depends_on', 'lifecycle', 'provider']);

type Segment = { type: 'nameTraversal' | 'indexTraversal'; segment: string };

const FUNCTIONS: Record<string, (...args: unknown[]) => unknown> = {
  jsonencode: (value) => jsonencode(value),
  jsondecode: (text) => JSON.parse(stringOf(text)),
  yamldecode: (text) => parseYaml(stringOf(text)),
  merge: (...objects) =>
    Object.assign({}, ...objects.filter((o) => o !== null).map((o) => objectOf(o))),
  contains: (list, value) => listOf(list).some((v) => JSON.stringify(v) === JSON.stringify(value)),
  keys: (object) => Object.keys(objectOf(object)).sort(),
  length: (value) =>
    typeof value === 'string' ? [...value].length : entriesOf(value as object).length,
  upper: (s) => stringOf(s).toUpperCase(),
  lower: (s) => stringOf(s).toLowerCase(),
  replace: (s, search, replacement) => {
    const text = stringOf(search);
    const regex = /^\/(.*)\/$/s.exec(text);
    return regex?.[1] === undefined
      ? stringOf(s).replaceAll(text, stringOf(replacement))
      : stringOf(s).replace(new RegExp(regex[1], 'g'), stringOf(replacement));
  },
  regex: (pattern, s) => {
    const match = new RegExp(stringOf(pattern)).exec(stringOf(s));
    if (match === null) throw new Error(`${s} does not match ${pattern}`);
    return match[0];
  },
  startswith: (s, prefix) => stringOf(s).startsWith(stringOf(prefix)),
  alltrue: (list) => listOf(list).every((v) => v === true),
  floor: (n) => Math.floor(n as number),
  min: (...numbers) => Math.min(...numbers.map((n) => n as number)),
  coalesce: (...values) => {
    const found = values.find((v) => v !== null && v !== undefined && v !== '');
    if (found === undefined) throw new Error('coalesce: no non-null argument');
    return found;
  },
  concat: (...lists) => lists.flatMap((list) => listOf(list)),
  toset: (list) => [...new Set(listOf(list).map((v) => stringOf(v)))].sort(),
  values: (object) =>
    Object.entries(objectOf(object))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, v]) => v),
  sha1: (s) => createHash('sha1').update(stringOf(s)).digest('hex'),
  tostring: (v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : stringOf(v)),
};

/** `value` with every Unknown shown as its reference, `${aws_x.y.arn}`. */
function render(value: unknown): unknown {
  if (value instanceof Unknown) return value.toString();
  if (Array.isArray(value)) return value.map(render);
  if (value instanceof Instance) return `\${${value.address}}`;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v)]));
  }
  return value;
}

/** Terraform's jsonencode: object keys sorted; unknowns shown as `${ref}`. */
export function jsonencode(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => {
    if (v instanceof Unknown) return v.toString();
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

/** Entries in Terraform's iteration order: lists by index, maps and objects by sorted key. */
function entriesOf(collection: unknown): Array<readonly [string | number, unknown]> {
  if (Array.isArray(collection)) return collection.map((v, i) => [i, v] as const);
  return Object.entries(objectOf(collection)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function objectOf(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`not an object: ${String(value)}`);
  }
  return value as Record<string, unknown>;
}

function listOf(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new Error(`not a list: ${String(value)}`);
  return value;
}

function stringOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Unknown) return value.toString();
  throw new Error(`not a string: ${JSON.stringify(value)}`);
}

function literal(type: string, text: string): unknown {
  if (type === 'number') return Number(text);
  if (type === 'bool') return text === 'true';
  if (text === 'null') return null;
  return text;
}

function only(node: Node): Node {
  const [child, ...rest] = node.children;
  if (child === undefined || rest.length > 0) {
    throw new Error(`unsupported expression: ${String(node.meta.value)}`);
  }
  return child;
}

/**
 * hcl2json gives a template as its text: `${...}` interpolations verbatim (with their own quoted
 * strings), literal text unescaped. This quotes it back into an HCL template expression.
 */
function toHclTemplate(raw: string): string {
  let out = '"';
  let i = 0;
  while (i < raw.length) {
    if (raw.startsWith('$${', i)) {
      out += '$${';
      i += 3;
    } else if (raw.startsWith('${', i)) {
      const end = interpolationEnd(raw, i + 2);
      out += raw.slice(i, end);
      i = end;
    } else {
      const ch = raw[i] as string;
      out += ESCAPES[ch] ?? ch;
      i++;
    }
  }
  return `${out}"`;
}

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/** The index just past the `}` closing the interpolation whose expression starts at `start`. */
function interpolationEnd(text: string, start: number): number {
  // A stack of what is open: '{' (an expression or an object/brace), '"' (a string).
  const open: string[] = ['{'];
  let i = start;
  while (open.length > 0) {
    const ch = text[i];
    if (ch === undefined) throw new Error(`unclosed interpolation in ${text}`);
    if (open.at(-1) === '"') {
      if (ch === '\\') i++;
      else if (ch === '"') open.pop();
      else if (text.startsWith('${', i)) {
        open.push('{');
        i++;
      }
    } else if (ch === '"') open.push('"');
    else if (ch === '{') open.push('{');
    else if (ch === '}') open.pop();
    i++;
  }
  return i;
}

function accessor(key: string | number): string {
  return typeof key === 'number'
    ? `[${key}]`
    : /^[A-Za-z_][\w-]*$/.test(key)
      ? `.${key}`
      : `[${JSON.stringify(key)}]`;
}

/** A nested block (a list of bodies), not an attribute. */
function isBlock(raw: unknown): boolean {
  return (
    Array.isArray(raw) &&
    raw.length > 0 &&
    raw.every((b) => typeof b === 'object' && b !== null && !Array.isArray(b))
  );
}
