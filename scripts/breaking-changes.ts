/**
 * The breaking-change gate: openapi.yaml against the last released contract
 * (`contract-tests/released/<sdk version>.yaml`, the newest version there). A breaking change
 * passes only with a major bump of the SDK's version (`sdk/package.json`): a version outside
 * the released one's caret range, which is what `npm install @dynamo-crud/sdk@^<released>`
 * would never pick up (1.0.0 after 0.x.y counts, and so does 0.2.0 after 0.1.x:
 * https://docs.npmjs.com/cli/v11/using-npm/semver#caret-ranges-123-025-004).
 *
 * Changes are found and classified by api-smart-diff (request and response sides told apart:
 * narrowing what a request may hold is breaking, and so is widening what a response may hold),
 * with two rules of this project on top, since the SDK's types are generated from the schemas:
 * a property removed from any request or response schema is breaking (code naming it stops
 * compiling), and so is a response property that stops being required. Schemas no operation
 * reaches (the event details consumers receive) are compared as responses. A change at or under
 * an annotation (`example`, `description`, ...) is never breaking, whatever the library says of
 * it (it calls a change inside an example's value unclassified), and every change is described
 * by what changed, where the library's text leaves that out.
 *
 * `npm run check:contract` runs the gate (part of `npm test`); `npm run contract:release`
 * records openapi.yaml as released with the SDK's current version, when the SDK is published.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiCompare } from 'api-smart-diff';
import semver from 'semver';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const RELEASED_DIR = join(ROOT, 'contract-tests/released');

export type ChangeType = 'breaking' | 'non-breaking' | 'annotation' | 'unclassified' | 'deprecated';

export interface Change {
  readonly type: ChangeType;
  readonly action: 'add' | 'remove' | 'replace' | 'rename';
  /** Where, e.g. `paths./dynamo.get.parameters.0` or `events.ItemCreatedDetail...`. */
  readonly where: string;
  readonly description: string;
}

/** Where compared event details are put: a path no API has. */
const EVENTS_PATH = '/(events)/';

/**
 * Keywords that document and constrain nothing a client sends or receives: JSON Schema's
 * annotations (https://json-schema.org/draft/2020-12/json-schema-validation#section-9.1 and
 * 9.5: `title`, `description`, `examples`; `$comment`, Core §8.3) and OpenAPI 3.0's
 * documentation fields (`summary`, `description`, `example`, `examples`, `externalDocs`:
 * https://spec.openapis.org/oas/v3.0.3). `default`, `readOnly`, `writeOnly` and `deprecated`
 * are left to the library: they change what a client may send or must expect.
 */
const ANNOTATIONS = new Set([
  'title',
  'description',
  'summary',
  'example',
  'examples',
  'externalDocs',
  '$comment',
]);

/** Keywords whose members are names an author chose (a property, a path, a status), not keywords. */
const NAMED_MEMBERS = new Set([
  'properties',
  'patternProperties',
  'definitions',
  'paths',
  'responses',
  'headers',
  'content',
  'encoding',
  'links',
  'callbacks',
  'schemas',
  'parameters',
  'requestBodies',
  'securitySchemes',
  'variables',
  'mapping',
]);

const PAST_TENSE = { add: 'Added', remove: 'Removed', replace: 'Replaced', rename: 'Renamed' };

/** Every change from `before` to `after` that a client or consumer can see, classified. */
export function compareContracts(before: object, after: object): Change[] {
  const { diffs } = apiCompare(withEvents(before), withEvents(after));
  const changes: Change[] = [];
  for (const diff of diffs) {
    const path = diff.path.map(String);
    // Components are compared where operations use them; on their own they have no side.
    if (path[0] === 'components') continue;
    changes.push({
      type: isAnnotation(path)
        ? 'annotation'
        : reclassify(diff.type as ChangeType, diff.action, path),
      action: diff.action,
      where: describePath(path),
      description: describeChange(diff, path),
    });
  }
  return changes;
}

/**
 * Whether `path` goes through an annotation keyword (`ANNOTATIONS`): a segment in a keyword's
 * place, not a name an author chose (`properties.description` is a property named so).
 */
function isAnnotation(path: readonly string[]): boolean {
  let previousWasName = false;
  for (let i = 0; i < path.length; i += 1) {
    const isName: boolean = !previousWasName && i > 0 && NAMED_MEMBERS.has(path[i - 1] ?? '');
    if (!isName && ANNOTATIONS.has(path[i] ?? '')) return true;
    previousWasName = isName;
  }
  return false;
}

/**
 * The library's description (`[Removed] property \`title\` in Response 400 content
 * (application/problem+json)`), with what changed filled in where it leaves it out (`[Replaced]
 * in query parameter`, ` in Request Body content`, or nothing) or says only `annotation (name)`
 * (which it also says of a schema it meets a second time: `[Removed] annotation (1)` for an
 * entry of `required`): the path below the schema, e.g. `example.name`, or the name whose
 * required status changed. An event's change says which event.
 */
function describeChange(
  diff: {
    action: keyof typeof PAST_TENSE;
    description?: string;
    before?: unknown;
    after?: unknown;
  },
  path: readonly string[],
): string {
  const given = diff.description ?? '';
  const verb = /^\[\w+\]/.exec(given)?.[0] ?? `[${PAST_TENSE[diff.action]}]`;
  const rest = given.slice(/^\[\w+\]/.test(given) ? verb.length : 0);
  const at = rest.search(/(?:^|\s)in\s/);
  const subject = (at === -1 ? rest : rest.slice(0, at)).trim();
  const context = at === -1 ? '' : ` ${rest.slice(at).trim()}`;
  const schemaAt = path.lastIndexOf('schema');
  const below = schemaAt === -1 ? path.slice(-2) : path.slice(schemaAt + 1);
  const value = diff.action === 'add' ? diff.after : diff.before;
  const what =
    subject !== '' && !subject.startsWith('annotation')
      ? subject
      : path.at(-2) === 'required' && typeof value === 'string'
        ? `required status of \`${value}\``
        : `\`${below.join('.') || 'schema'}\``;
  const event = path[1]?.startsWith(EVENTS_PATH) ? path[1].slice(EVENTS_PATH.length) : undefined;
  return `${verb} ${what}${event === undefined ? context : ` in the event ${event}`}`;
}

/**
 * The SDK's types are generated from these schemas: a removed property no longer compiles in
 * the code that names it, and a response property that may now be missing breaks its readers.
 */
function reclassify(type: ChangeType, action: string, path: readonly string[]): ChangeType {
  if (action !== 'remove') return type;
  const parent = path.at(-2);
  if (parent === 'properties' && path.includes('schema')) return 'breaking';
  if (parent === 'required' && path.includes('responses')) return 'breaking';
  return type;
}

/**
 * The document with every schema no operation reaches (the event details) added as the answer
 * of an operation of its own, so that it is compared as what consumers receive.
 */
function withEvents(document: object): object {
  const copy = structuredClone(document) as {
    paths?: Record<string, unknown>;
    components?: { schemas?: Record<string, unknown> };
  };
  const reached = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
    } else if (typeof node === 'object' && node !== null) {
      const ref = (node as { $ref?: unknown }).$ref;
      if (typeof ref === 'string' && ref.startsWith('#/components/')) {
        if (reached.has(ref)) return;
        reached.add(ref);
        visit(
          ref
            .slice(2)
            .split('/')
            .reduce<unknown>((at, key) => (at as Record<string, unknown>)?.[key], copy),
        );
      }
      for (const value of Object.values(node)) visit(value);
    }
  };
  visit(copy.paths);
  copy.paths ??= {};
  for (const name of Object.keys(copy.components?.schemas ?? {})) {
    if (reached.has(`#/components/schemas/${name}`)) continue;
    copy.paths[`${EVENTS_PATH}${name}`] = {
      post: {
        operationId: `event${name}`,
        responses: {
          '200': {
            description: name,
            content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } },
          },
        },
      },
    };
  }
  return copy;
}

function describePath(path: readonly string[]): string {
  if (path[0] === 'paths' && path[1]?.startsWith(EVENTS_PATH)) {
    return ['event', path[1].slice(EVENTS_PATH.length), ...path.slice(8)].join('.');
  }
  return path.join('.');
}

export interface Release {
  readonly version: string;
  readonly file: string;
}

/** The newest released contract in `dir`, by semver of its file name. */
export function latestRelease(dir = RELEASED_DIR): Release {
  const versions = readdirSync(dir)
    .filter((name) => name.endsWith('.yaml') && semver.valid(name.slice(0, -5)) !== null)
    .map((name) => name.slice(0, -5))
    .sort(semver.rcompare);
  const version = versions[0];
  if (version === undefined) throw new Error(`no released contract (<version>.yaml) in ${dir}`);
  return { version, file: join(dir, `${version}.yaml`) };
}

export interface GateResult {
  readonly ok: boolean;
  readonly breaking: readonly Change[];
  readonly others: readonly Change[];
  readonly message: string;
}

/**
 * Whether `current` may ship as `sdkVersion`, given the contract released as `releasedVersion`.
 */
export function gate(input: {
  readonly released: object;
  readonly releasedVersion: string;
  readonly current: object;
  readonly sdkVersion: string;
}): GateResult {
  const changes = compareContracts(input.released, input.current);
  const breaking = changes.filter((c) => c.type === 'breaking' || c.type === 'unclassified');
  const others = changes.filter((c) => !breaking.includes(c));
  const majorBump =
    semver.gt(input.sdkVersion, input.releasedVersion) &&
    !semver.satisfies(input.sdkVersion, `^${input.releasedVersion}`);
  const since = `since the contract released with the SDK ${input.releasedVersion}`;
  if (breaking.length === 0) {
    return {
      ok: true,
      breaking,
      others,
      message: `no breaking change ${since} (${others.length} other changes)`,
    };
  }
  if (majorBump) {
    return {
      ok: true,
      breaking,
      others,
      message: `${breaking.length} breaking changes ${since}, with the major bump to ${input.sdkVersion}`,
    };
  }
  const next =
    semver.major(input.releasedVersion) === 0
      ? semver.inc(input.releasedVersion, 'minor')
      : semver.inc(input.releasedVersion, 'major');
  return {
    ok: false,
    breaking,
    others,
    message:
      `${breaking.length} breaking changes ${since}, but sdk/package.json is ${input.sdkVersion}: ` +
      `undo them, or make them a major release (version ${next} in sdk/package.json)`,
  };
}

function readYaml(file: string): object {
  return parse(readFileSync(file, 'utf8')) as object;
}

function main(argv: readonly string[]): number {
  const sdkVersion = (
    JSON.parse(readFileSync(join(ROOT, 'sdk/package.json'), 'utf8')) as { version: string }
  ).version;
  const currentFile = join(ROOT, 'openapi.yaml');
  if (argv.includes('--release')) {
    const target = join(RELEASED_DIR, `${sdkVersion}.yaml`);
    if (existsSync(target)) {
      console.error(
        `contract-tests/released/${sdkVersion}.yaml exists: bump sdk/package.json first`,
      );
      return 1;
    }
    copyFileSync(currentFile, target);
    console.log(`recorded openapi.yaml as released with the SDK ${sdkVersion}`);
    return 0;
  }
  const release = latestRelease();
  const result = gate({
    released: readYaml(release.file),
    releasedVersion: release.version,
    current: readYaml(currentFile),
    sdkVersion,
  });
  for (const change of result.breaking)
    console.error(`  breaking: ${change.description} (${change.where})`);
  (result.ok ? console.log : console.error)(`breaking-change gate: ${result.message}`);
  return result.ok ? 0 : 1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2));
}
