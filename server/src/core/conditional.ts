/**
 * Entity tags and conditional requests (RFC 9110 §8.8.3, §13). An item's validator (its version
 * and incarnation, `ports.ts`) is its strong entity tag, `"3.Hm7kQx0pZr1c"`. `If-Match` makes a
 * write (or a read) conditional on it, `If-None-Match` makes a read a cache validation (304) and
 * a write conditional on the item not being in a state. Tags are compared whole, character by
 * character. Every precondition header is evaluated or refused, never ignored.
 */
import { INCARNATION, type Validator, type VersionCondition } from './ports.js';
import { PreconditionFailedError, ValidationError } from './problems.js';

/**
 * The `Cache-Control` of every read and every problem: a cache may keep the answer but must
 * check it with the API, by its ETag, before each reuse (RFC 9111 §5.2.2.4). Without it a cache
 * picks its own freshness (RFC 9111 §4.2.2: a CDN's default TTL; a 404 is heuristically
 * cacheable too) and serves an item as it was before a write, or, keyed without the query, one
 * item or page for another; with it, revalidation answers 304 while the item is unchanged.
 */
export const NO_CACHE = 'no-cache';

/**
 * The strong entity tag of a validator: `"<version>.<incarnation>"`, `"3.Hm7kQx0pZr1c"`; an item
 * without an incarnation (stored before incarnations, or by another program) keeps the tag it
 * had, `"3"`.
 */
export function etag({ version, incarnation }: Validator): string {
  return incarnation === undefined ? `"${version}"` : `"${version}.${incarnation}"`;
}

export interface EntityTag {
  readonly weak: boolean;
  /** The quoted part, as sent: `"3"`. */
  readonly opaque: string;
}

/** `*`, or the list of entity tags a header names. */
export type EntityTags = '*' | readonly EntityTag[];

/**
 * One member of a list of entity tags and the comma after it (RFC 9110 §5.6.1, §8.8.3):
 * `entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE`, `etagc = %x21 / %x23-7E / obs-text`. A comma
 * inside the quotes belongs to the tag; empty members (`"1",,"2"`) are allowed.
 */
const MEMBER = /[ \t]*(?:(W\/)?("[\x21\x23-\x7e\x80-\xff]*")[ \t]*(?:,|$)|,)/y;

/**
 * A write's tags become one clause each of its DynamoDB condition, and DynamoDB takes at most
 * 300 operators and 4 KB in an expression ("Expression parameters" in "Quotas in Amazon
 * DynamoDB"): both headers at this many tags stay well within both. An item has one state at a
 * time: a list longer than this is refused rather than sent.
 */
export const MAX_ENTITY_TAGS = 32;

/**
 * `If-Match` or `If-None-Match`: `*` or a comma-separated list of entity tags (RFC 9110 §13.1.1,
 * §13.1.2), at most `MAX_ENTITY_TAGS` of them.
 *
 * @throws ValidationError naming the header when it is neither, e.g. an unquoted `3`, or lists
 *   too many
 */
export function parseEntityTags(value: string, header: string): EntityTags {
  const trimmed = value.trim();
  if (trimmed === '*') return '*';
  const tags: EntityTag[] = [];
  for (let at = 0; at < trimmed.length; at = MEMBER.lastIndex) {
    MEMBER.lastIndex = at;
    const m = MEMBER.exec(trimmed);
    if (m === null) {
      const text = (trimmed.slice(at).split(',')[0] ?? '').trim();
      const hint = /^\d+$/.test(text) ? ` (send "${text}" instead)` : '';
      throw new ValidationError([
        {
          header,
          // The text as sent, unquoted: quoting it would show a bad tag as a good one.
          detail: `must be * or a list of entity tags; entity tags are quoted, as an ETag is sent, and this is not one: ${text.slice(0, 40)}${hint}`,
        },
      ]);
    }
    if (m[2] !== undefined) tags.push({ weak: m[1] !== undefined, opaque: m[2] });
  }
  if (tags.length === 0) {
    throw new ValidationError([{ header, detail: 'must be * or a list of entity tags' }]);
  }
  if (tags.length > MAX_ENTITY_TAGS) {
    throw new ValidationError([
      {
        header,
        detail: `lists ${tags.length} entity tags, more than the ${MAX_ENTITY_TAGS} it may; an item has one ETag at a time: send the one you last got`,
      },
    ]);
  }
  return tags;
}

/**
 * The validator a tag names, if it is one this API sends: `"17.Hm7kQx0pZr1c"`, `"17"`, never
 * `"017"`. Any other tag names no state of any item.
 */
function validatorOfTag(tag: EntityTag): Validator | undefined {
  const m = /^"(0|[1-9]\d{0,14})(?:\.([^"]*))?"$/.exec(tag.opaque);
  if (m?.[1] === undefined) return undefined;
  const version = Number(m[1]);
  const incarnation = m[2];
  if (incarnation === undefined) return { version };
  return INCARNATION.test(incarnation) ? { version, incarnation } : undefined;
}

/** The conditional headers of a request, parsed. */
export interface Preconditions {
  readonly ifMatch?: EntityTags;
  readonly ifNoneMatch?: EntityTags;
}

/**
 * The precondition headers of RFC 9110 §13.1 this API evaluates, where an operation lists them,
 * as requests carry them and as problems name them.
 */
const EVALUATED = [
  ['if-match', 'If-Match'],
  ['if-none-match', 'If-None-Match'],
] as const;

/** Those it never evaluates: items have versions, not modification dates. */
const UNSUPPORTED = [
  ['if-modified-since', 'If-Modified-Since'],
  ['if-unmodified-since', 'If-Unmodified-Since'],
] as const;

/**
 * Refuses every precondition header the operation cannot evaluate: `If-Match` and
 * `If-None-Match` where it does not list them, and always `If-Modified-Since` and
 * `If-Unmodified-Since` (items have versions, not modification dates). A precondition is never
 * dropped. `If-Range` is ignored, as RFC 9110 §13.1.5 requires of a server without ranges.
 *
 * @param headers the request's, lower-case names
 * @param declared the lower-case names of the headers the operation lists
 * @throws ValidationError naming the header
 */
export function refuseUnevaluatedPreconditions(
  headers: Readonly<Record<string, string>>,
  declared: readonly string[],
): void {
  for (const [key, header] of UNSUPPORTED) {
    if (headers[key] !== undefined) {
      throw new ValidationError([
        {
          header,
          detail:
            'is not supported: items have versions, not modification dates; send If-None-Match (to read) or If-Match (to write) with the ETag you got',
        },
      ]);
    }
  }
  for (const [key, header] of EVALUATED) {
    if (headers[key] !== undefined && !declared.includes(key)) {
      throw new ValidationError([
        { header, detail: 'is not supported by this operation; send the request without it' },
      ]);
    }
  }
}

/**
 * The `If-Match` and `If-None-Match` of validated request headers.
 *
 * @throws ValidationError naming a header that is not `*` or a list of entity tags
 */
export function readPreconditions(headers: {
  readonly 'if-match'?: string;
  readonly 'if-none-match'?: string;
}): Preconditions {
  const ifMatch = headers['if-match'];
  const ifNoneMatch = headers['if-none-match'];
  return {
    ...(ifMatch === undefined ? {} : { ifMatch: parseEntityTags(ifMatch, 'If-Match') }),
    ...(ifNoneMatch === undefined
      ? {}
      : { ifNoneMatch: parseEntityTags(ifNoneMatch, 'If-None-Match') }),
  };
}

/**
 * What a write requires of the item's state, from its preconditions: `If-Match` by strong
 * comparison (a weak tag never matches, §13.1.1), `If-None-Match` by weak comparison (§13.1.2).
 * Tags that name no state this API could be in are left out: they match nothing.
 */
export function toVersionCondition(preconditions: Preconditions): VersionCondition {
  const { ifMatch, ifNoneMatch } = preconditions;
  return {
    ...(ifMatch === undefined || ifMatch === '*'
      ? {}
      : { ifMatch: validators(ifMatch.filter((tag) => !tag.weak)) }),
    ...(ifNoneMatch === undefined
      ? {}
      : { ifNoneMatch: ifNoneMatch === '*' ? '*' : validators(ifNoneMatch) }),
  };
}

/** The validators `tags` name, each once. */
function validators(tags: readonly EntityTag[]): Validator[] {
  const byTag = new Map<string, Validator>();
  for (const tag of tags) {
    const validator = validatorOfTag(tag);
    if (validator !== undefined) byTag.set(tag.opaque, validator);
  }
  return [...byTag.values()];
}

/**
 * The outcome of a read's preconditions on the item as it is (RFC 9110 §13.2.2): `fresh` when
 * `If-None-Match` matches (answer 304), `proceed` otherwise. The current `ETag` is compared
 * with each tag character by character: strongly for `If-Match`, weakly for `If-None-Match`.
 *
 * @throws PreconditionFailedError when `If-Match` does not match
 */
export function evaluateRead(
  preconditions: Preconditions,
  current: Validator,
): 'fresh' | 'proceed' {
  const tag = etag(current);
  const { ifMatch, ifNoneMatch } = preconditions;
  if (ifMatch !== undefined && ifMatch !== '*') {
    if (!ifMatch.some((t) => !t.weak && t.opaque === tag)) {
      throw new PreconditionFailedError(`If-Match does not match the item's current ETag, ${tag}.`);
    }
  }
  if (ifNoneMatch === '*' || ifNoneMatch?.some((t) => t.opaque === tag)) return 'fresh';
  return 'proceed';
}
