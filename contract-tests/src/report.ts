/**
 * A run's results for people (a summary, then each failure with the exact request and answer)
 * and for CI systems (JUnit XML, the format GitHub Actions reporters, GitLab, Jenkins and
 * CircleCI read). Credentials are never printed.
 */
import type { Exchange } from './http.js';
import { redactHeaders } from './http.js';
import type { CheckResult, RunReport } from './run.js';

const BODY_LIMIT = 2000;

/** The readable report: one line per group, then every failure in full, then the totals. */
export function formatReport(report: RunReport): string {
  const lines: string[] = [
    `dynamo-crud contract tests against ${report.baseUrl} (seed ${report.seed}, keys ${report.runId}-*)`,
    '',
  ];
  const groups = groupBy(report.results);
  const width = Math.max(...[...groups.keys()].map((g) => g.length), 0) + 2;
  for (const [group, results] of groups) {
    const failed = results.filter((r) => r.violations.length > 0).length;
    const skipped = results.filter((r) => r.skipped !== undefined).length;
    const passed = results.length - failed - skipped;
    const counts = [
      `${passed} passed`,
      ...(failed > 0 ? [`${failed} failed`] : []),
      ...(skipped > 0 ? [`${skipped} skipped`] : []),
    ];
    lines.push(`  ${group.padEnd(width, '.')} ${counts.join(', ')}`);
  }
  for (const result of report.results) {
    if (result.violations.length === 0) continue;
    lines.push(
      '',
      `FAILED ${result.group} › ${result.name}`,
      ...describeFailure(result).map((l) => `  ${l}`),
    );
  }
  const failed = report.results.filter((r) => r.violations.length > 0).length;
  const skipped = report.results.filter((r) => r.skipped !== undefined).length;
  lines.push(
    '',
    `${report.requests} requests in ${(report.durationMs / 1000).toFixed(1)} s. ` +
      (report.passed
        ? 'The deployment keeps the contract.'
        : `Rerun with --seed ${report.seed} to repeat these requests.`),
    `${report.results.length - failed - skipped} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`,
  );
  return `${lines.join('\n')}\n`;
}

/** The violations, then the request and the answer exactly as sent and received. */
export function describeFailure(result: CheckResult): string[] {
  const lines = result.violations.map((v) => `✗ ${v}`);
  if (result.exchange !== undefined) lines.push(...describeExchange(result.exchange));
  return lines;
}

function describeExchange(exchange: Exchange): string[] {
  const { request, response } = exchange;
  const lines = [`request:  ${request.method} ${request.url}`];
  for (const [name, value] of Object.entries(redactHeaders(request.headers))) {
    lines.push(`          ${name}: ${value}`);
  }
  if (request.body !== undefined) lines.push(`          ${truncate(request.body)}`);
  if (response === undefined) {
    lines.push(`response: none (${exchange.error ?? 'unknown'})`);
    return lines;
  }
  lines.push(`response: ${response.status}`);
  for (const [name, value] of Object.entries(response.headers))
    lines.push(`          ${name}: ${value}`);
  if (response.body !== '') lines.push(`          ${truncate(response.body)}`);
  return lines;
}

/** JUnit XML: a `testsuite` per group, a `testcase` per check, the failure with the exchange. */
export function junitXml(report: RunReport): string {
  const groups = groupBy(report.results);
  const failures = report.results.filter((r) => r.violations.length > 0).length;
  const skipped = report.results.filter((r) => r.skipped !== undefined).length;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="dynamo-crud contract tests" tests="${report.results.length}" failures="${failures}" skipped="${skipped}" time="${seconds(report.durationMs)}">`,
  ];
  for (const [group, results] of groups) {
    const groupFailures = results.filter((r) => r.violations.length > 0).length;
    const groupSkipped = results.filter((r) => r.skipped !== undefined).length;
    out.push(
      `  <testsuite name="${xml(group)}" tests="${results.length}" failures="${groupFailures}" skipped="${groupSkipped}">`,
      `    <properties><property name="baseUrl" value="${xml(report.baseUrl)}"/><property name="seed" value="${report.seed}"/></properties>`,
    );
    for (const result of results) {
      const open = `    <testcase classname="${xml(group)}" name="${xml(result.name)}"`;
      if (result.skipped !== undefined) {
        out.push(`${open}><skipped message="${xml(result.skipped)}"/></testcase>`);
      } else if (result.violations.length > 0) {
        out.push(
          `${open}><failure message="${xml(result.violations[0] ?? '')}" type="ContractViolation">${xml(describeFailure(result).join('\n'))}</failure></testcase>`,
        );
      } else {
        out.push(`${open}/>`);
      }
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}

/**
 * Text as XML 1.0 character data in an attribute or element: markup escaped, and characters
 * XML 1.0 cannot carry at all (controls, lone surrogates; https://www.w3.org/TR/xml/#charsets)
 * written as `\uXXXX`, since a response body may hold anything.
 */
export function xml(text: string): string {
  return text
    .replace(
      /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    )
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll('\n', '&#10;');
}

function groupBy(results: readonly CheckResult[]): Map<string, CheckResult[]> {
  const groups = new Map<string, CheckResult[]>();
  for (const result of results) {
    const list = groups.get(result.group) ?? [];
    list.push(result);
    groups.set(result.group, list);
  }
  return groups;
}

function truncate(text: string): string {
  const oneLine = text.replaceAll('\n', '\\n');
  return oneLine.length > BODY_LIMIT
    ? `${oneLine.slice(0, BODY_LIMIT)}… (${text.length} characters)`
    : oneLine;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}
