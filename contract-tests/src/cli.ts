#!/usr/bin/env node
/**
 * `dynamo-crud-contract-tests --base-url URL [...]`: runs the contract tests against a
 * deployment. Exit status: 0 when every check passed, 1 when any failed, 2 when the command
 * itself is wrong (an option, the contract file, the plan over its budget).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import type { Auth } from './auth.js';
import { formatReport, junitXml } from './report.js';
import { runContractTests } from './run.js';

const USAGE = `Usage: dynamo-crud-contract-tests --base-url URL [options]

Runs the contract tests of openapi.yaml against the API at URL: the lifecycle of an item of
its own (create, read, conditional update, stale update 412, delete, 404 after), then requests
generated from openapi.yaml, valid and hostile; every answer is checked against the contract.
It writes only items whose user_id starts with --prefix, and deletes them at the end.

  --base-url URL       the API, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com/prod
  --openapi FILE       the contract (default: the openapi.yaml this package was built from)
  --sigv4              sign requests with AWS SigV4, credentials from the standard AWS chain
  --region R           the API's region, for --sigv4 (default: AWS_REGION)
  --api-key K          send K as x-api-key (or set CONTRACT_TESTS_API_KEY)
  --bearer T           send Authorization: Bearer T (or set CONTRACT_TESTS_BEARER_TOKEN)
  --cases N            generated requests per operation, half valid, half hostile (default 20)
  --seed S             seed of the generated requests, to repeat a run (default: random)
  --rate N             requests per second at most (default 10)
  --max-requests N     requests in all, cleanup aside (default 1000)
  --timeout MS         time limit of one request (default 10000)
  --prefix P           start of every user_id the run writes (default contract-test)
  --junit FILE         also write the results as JUnit XML
  --quiet              print only the summary and the failures
  -h, --help           this text

Exit status: 0 all checks passed, 1 a check failed, 2 a usage error.`;

class UsageError extends Error {}

function integer(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer of at least ${min}, not ${value}`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      'base-url': { type: 'string' },
      openapi: { type: 'string' },
      sigv4: { type: 'boolean' },
      region: { type: 'string' },
      'api-key': { type: 'string' },
      bearer: { type: 'string' },
      cases: { type: 'string' },
      seed: { type: 'string' },
      rate: { type: 'string' },
      'max-requests': { type: 'string' },
      timeout: { type: 'string' },
      prefix: { type: 'string' },
      junit: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  const baseUrl = values['base-url'];
  if (baseUrl === undefined) throw new UsageError('--base-url is required');
  if (!URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol)) {
    throw new UsageError(`--base-url must be an http(s) URL, not ${baseUrl}`);
  }
  const auth = authFrom(values);
  const openapiPath = values.openapi ?? new URL('./openapi.yaml', import.meta.url);
  let document: object;
  try {
    document = parse(readFileSync(openapiPath, 'utf8')) as object;
  } catch (error) {
    throw new UsageError(
      `cannot read the contract ${String(openapiPath)}: ${(error as Error).message}`,
    );
  }
  const prefix = values.prefix ?? 'contract-test';
  if (!/^[\w.-]{1,64}$/.test(prefix))
    throw new UsageError('--prefix must be 1 to 64 of [A-Za-z0-9_.-]');

  let report: Awaited<ReturnType<typeof runContractTests>>;
  try {
    report = await runContractTests({
      baseUrl,
      document,
      auth,
      cases: integer('cases', values.cases, 20, 0),
      ...(values.seed === undefined ? {} : { seed: integer('seed', values.seed, 0, 0) }),
      rate: integer('rate', values.rate, 10, 1),
      maxRequests: integer('max-requests', values['max-requests'], 1000, 1),
      timeoutMs: integer('timeout', values.timeout, 10_000, 1),
      prefix,
      onResult: (result) => {
        if (values.quiet === true) return;
        const mark =
          result.skipped !== undefined ? '-' : result.violations.length === 0 ? '✓' : '✗';
        const status = result.exchange?.response?.status ?? '';
        console.error(`${mark} ${result.group} › ${result.name} ${status}`.trimEnd());
      },
    });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // Raised before anything was sent: a plan over budget, a document the runner cannot use.
    throw new UsageError((error as Error).message);
  }
  process.stdout.write(formatReport(report));
  if (values.junit !== undefined) writeFileSync(values.junit, junitXml(report));
  return report.passed ? 0 : 1;
}

function authFrom(values: Record<string, string | boolean | undefined>): Auth {
  const apiKey = (values['api-key'] as string | undefined) ?? process.env.CONTRACT_TESTS_API_KEY;
  const bearer = (values.bearer as string | undefined) ?? process.env.CONTRACT_TESTS_BEARER_TOKEN;
  const chosen = [values.sigv4 === true, apiKey !== undefined, bearer !== undefined].filter(
    Boolean,
  );
  if (chosen.length > 1) throw new UsageError('choose one of --sigv4, --api-key and --bearer');
  if (values.sigv4 === true) {
    const region =
      (values.region as string | undefined) ??
      process.env.AWS_REGION ??
      process.env.AWS_DEFAULT_REGION;
    if (region === undefined) throw new UsageError('--sigv4 needs --region (or AWS_REGION)');
    return { kind: 'sigv4', region };
  }
  if (apiKey !== undefined) return { kind: 'api-key', key: apiKey };
  if (bearer !== undefined) return { kind: 'bearer', token: bearer };
  return { kind: 'none' };
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      console.error(`dynamo-crud-contract-tests: ${(error as Error).message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else {
      console.error('dynamo-crud-contract-tests failed:', error);
      process.exitCode = 2;
    }
  },
);
