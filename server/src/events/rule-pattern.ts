/**
 * The EventBridge rule pattern that forwards POST events to the API destination. Terraform
 * deploys `post-rule-pattern.json` and the local sink filters with it: one source for both.
 * `source` follows `EVENT_SOURCE` in both places.
 */
import postRulePattern from './post-rule-pattern.json' with { type: 'json' };

export type EventPattern = { readonly [key: string]: readonly unknown[] | EventPattern };

export function postRulePatternFor(source: string): EventPattern {
  return { ...postRulePattern, source: [source] };
}

/**
 * Whether `event` matches `pattern`, for the exact-value subset of EventBridge patterns the
 * project uses: each array lists the values allowed at that key; objects nest. Content filters
 * (`prefix`, `anything-but`, `numeric`, ...) are not supported and never match.
 */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  if (typeof event !== 'object' || event === null) return false;
  const record = event as Record<string, unknown>;
  return Object.entries(pattern).every(([key, allowed]) => {
    const value = record[key];
    if (Array.isArray(allowed)) {
      const values = Array.isArray(value) ? value : [value];
      return values.some((v) => allowed.some((a) => typeof a !== 'object' && a === v));
    }
    return matchesPattern(allowed as EventPattern, value);
  });
}
