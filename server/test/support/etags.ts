/**
 * ETags as the API sends them, `"<version>.<incarnation>"` (`src/core/conditional.ts`): tests
 * assert an answer's version and the tag's shape, that writes keep the incarnation, and that an
 * item created again gets another, rather than a tag they could only guess.
 */
import { expect } from 'vitest';

/** An ETag of an item the API created or wrote: a version and a 12-character incarnation. */
const ETAG = /^"(0|[1-9]\d*)\.([A-Za-z0-9_-]{12})"$/;

/**
 * The version and incarnation of an ETag the API sent.
 *
 * @throws Error naming the tag when it is missing or not of that shape
 */
export function etagParts(tag: string | null | undefined): {
  version: number;
  incarnation: string;
} {
  const m = ETAG.exec(tag ?? '');
  if (m?.[1] === undefined || m[2] === undefined) {
    throw new Error(`${JSON.stringify(tag)} is not an ETag the API sends`);
  }
  return { version: Number(m[1]), incarnation: m[2] };
}

/**
 * What the ETag of `version` is: exactly the tag of `version` of the incarnation `earlier` (an
 * ETag the item had before) names; without `earlier`, a matcher for `version` of any
 * incarnation.
 */
export function etagAt(version: number, earlier?: string | null): string {
  if (earlier !== undefined) return `"${version}.${etagParts(earlier).incarnation}"`;
  // An asymmetric matcher, usable wherever the tag itself is expected.
  return expect.stringMatching(new RegExp(`^"${version}\\.[A-Za-z0-9_-]{12}"$`));
}
