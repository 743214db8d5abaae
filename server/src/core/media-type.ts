/** Which of an operation's request media types a `Content-Type` is (RFC 9110 §8.3). */

/**
 * The media type of `accepted` that `contentType` is, or `undefined` when it is none of them.
 * `application/json` is also sent as any `application/*+json` type, with an optional UTF-8
 * charset.
 */
export function matchMediaType(
  contentType: string | undefined,
  accepted: readonly string[],
): string | undefined {
  if (contentType === undefined) return undefined;
  const [type = '', ...params] = contentType.split(';').map((p) => p.trim().toLowerCase());
  const isJson = type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
  if (!isJson) return accepted.find((m) => m.toLowerCase() === type);
  if (!params.every((p) => !p.startsWith('charset=') || /^charset="?utf-8"?$/.test(p))) {
    return undefined;
  }
  return accepted.find((m) => m.toLowerCase() === 'application/json');
}
