/** Small HTTP details the core needs: media types, entity tags, validation error shapes. */
import type { ErrorObject } from 'ajv';
import type { FieldError } from './errors.js';
import { escapePointer } from './item.js';
import type { ExpectedVersions } from './types.js';

/** `application/json` or any `+json` type, with an optional UTF-8 charset. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [type = '', ...params] = contentType.split(';').map((p) => p.trim().toLowerCase());
  if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) return false;
  return params.every((p) => !p.startsWith('charset=') || /^charset="?utf-8"?$/.test(p));
}

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

/** Ajv errors from openapi-backend's request schema, as fields a client recognises. */
export function toFieldErrors(errors: readonly ErrorObject[]): FieldError[] {
  return errors.map((e) => {
    const [, location = '', ...rest] = e.instancePath.split('/');
    const missing = e.keyword === 'required' ? String(e.params.missingProperty) : undefined;
    const extra =
      e.keyword === 'additionalProperties' ? String(e.params.additionalProperty) : undefined;
    const name = missing ?? extra;
    const detail =
      missing !== undefined ? 'is required' : extra !== undefined ? 'is not allowed' : e.message;
    const message = detail ?? 'is invalid';
    if (location === 'query') {
      const parameter = name ?? rest[0] ?? '';
      return {
        parameter,
        detail: extra !== undefined ? 'is not a parameter of this operation' : message,
      };
    }
    if (location === 'header') {
      return { header: titleCase(name ?? rest[0] ?? ''), detail: message };
    }
    if (location === 'requestBody') {
      const pointer = `/${rest.join('/')}`.replace(/\/$/, '');
      return {
        pointer: name === undefined ? pointer : `${pointer}/${escapePointer(name)}`,
        detail: message,
      };
    }
    if (name === 'requestBody') return { pointer: '', detail: 'a JSON body is required' };
    return { pointer: e.instancePath, detail: message };
  });
}

function titleCase(header: string): string {
  return header.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}
