/**
 * Entity tags and conditional requests (RFC 9110 §8.8.3, §13): an item's version is its strong
 * entity tag, and `If-Match` makes a write conditional on it.
 */
import type { ExpectedVersions } from './ports.js';

/** The strong entity tag of a version: `"3"`. */
export function etag(version: number): string {
  return `"${version}"`;
}

/**
 * `If-Match` as the versions it accepts: `undefined` for none given or `*` (any existing
 * item); otherwise the versions of its strong numeric tags. Weak tags never match a write
 * (RFC 9110 §13.1.1), so a header of only weak or foreign tags accepts nothing.
 */
export function parseIfMatch(header: string | undefined): ExpectedVersions {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  if (trimmed === '*') return undefined;
  const versions: number[] = [];
  for (const tag of trimmed.split(',')) {
    const m = /^"(\d{1,15})"$/.exec(tag.trim());
    if (m?.[1] !== undefined) versions.push(Number(m[1]));
  }
  return versions;
}
