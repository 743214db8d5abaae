/**
 * Media types of request bodies (RFC 9110 §8.3). An operation accepts exactly the media types
 * openapi.yaml lists for its body: `application/json` is not also `application/vnd.api+json`
 * or `application/problem+json`, which mean other things.
 */

/** `type/subtype` (RFC 9110 §8.3.1): tokens, compared case-insensitively. */
const MEDIA_TYPE = /^([!#$%&'*+.^`|~\w-]+\/[!#$%&'*+.^`|~\w-]+)\s*(;.*)?$/;

/**
 * The media type of `accepted` that `contentType` names, or `undefined` when it names none of
 * them (or is not a media type). Parameters are not compared: the JSON types this API takes
 * define none that change what the body means; `charset` in particular "has no effect on
 * compliant recipients" of JSON (RFC 8259 §11), which is always UTF-8 (§8.1).
 */
export function matchMediaType(
  contentType: string | undefined,
  accepted: readonly string[],
): string | undefined {
  if (contentType === undefined) return undefined;
  const type = MEDIA_TYPE.exec(contentType.trim())?.[1]?.toLowerCase();
  return type === undefined ? undefined : accepted.find((m) => m.toLowerCase() === type);
}
