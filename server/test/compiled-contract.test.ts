/**
 * The compiled contract (`server/src/core/contract.gen.ts`, run by `compiled-contract.ts`)
 * against its source: the file is exactly what openapi.yaml yields today, and for any request
 * it routes and validates as openapi-backend does at run time (quick mode, Ajv `allErrors`),
 * error for error: the same keywords, paths, parameters and messages, in the same order.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { type Document, OpenAPIBackend } from 'openapi-backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { GENERATED_PATH, generateContractModule } from '../../scripts/generate-contract.js';
import { loadContract } from '../src/contract.js';
import {
  assertCompiledFrom,
  contractFingerprint,
  createRouter,
  validateRequest,
} from '../src/core/compiled-contract.js';
import { compiledContract } from '../src/core/contract.gen.js';
import { type JsonValue, parseJson } from '../src/core/json.js';
import type { ApiRequest } from '../src/core/types.js';

const contract = loadContract() as Document;
let backend: OpenAPIBackend;

beforeAll(async () => {
  backend = new OpenAPIBackend({
    definition: loadContract() as Document,
    quick: true,
    strict: true,
    ajvOpts: { allErrors: true },
  });
  await backend.init();
});

describe('contract.gen.ts', () => {
  it('is what openapi.yaml yields (run `npm run generate` after changing the contract)', async () => {
    expect(readFileSync(GENERATED_PATH, 'utf8')).toBe(await generateContractModule());
  });

  it('was compiled from the contract the server loads, and refuses another', () => {
    expect(compiledContract.fingerprint).toBe(contractFingerprint(contract));
    expect(() => assertCompiledFrom(compiledContract, contract)).not.toThrow();
    const changed = structuredClone(contract);
    changed.info.version = '0.0.0-changed';
    expect(() => assertCompiledFrom(compiledContract, changed)).toThrow(/npm run generate/);
  });

  it('has every operation of the contract', () => {
    const fromBackend = backend.router
      .getOperations()
      .map(({ operationId, method, path }) => ({ operationId, method, path }));
    expect(
      compiledContract.operations.map(({ operationId, method, path }) => ({
        operationId,
        method,
        path,
      })),
    ).toEqual(fromBackend);
  });
});

// --- requests, plausible and hostile --------------------------------------------------------

const methods = fc.constantFrom(
  'GET',
  'POST',
  'PATCH',
  'DELETE',
  'PUT',
  'OPTIONS',
  'HEAD',
  'get',
  ' Patch ',
  'TRACE',
);
const paths = fc.oneof(
  fc.constantFrom(
    '/dynamo',
    '/dynamo/',
    '/dynamo//',
    'dynamo',
    ' /dynamo ',
    '/dynamo?user_id=a',
    '/DYNAMO',
    '//dynamo',
    '/dynamo/x',
    '/',
    '',
    '/openapi.yaml',
  ),
  fc.string({ maxLength: 12 }),
);
const text = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom('', 'ada', '\ud83d\ude00', '\ud800', 'a'.repeat(512), 'a'.repeat(513)),
  fc.string({ minLength: 500, maxLength: 530 }),
);
const queryValue = fc.oneof(text, fc.array(text, { minLength: 1, maxLength: 3 }));
const query = fc.dictionary(
  fc.oneof(
    fc.constantFrom('user_id', 'extra', 'USER_ID', '__proto__', 'constructor'),
    fc.string({ maxLength: 4 }),
  ),
  queryValue,
  { maxKeys: 3 },
);
const headers = fc.record(
  {
    'content-type': fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'Application/JSON',
      'text/plain',
      'application/merge-patch+json',
      '',
    ),
    'if-match': fc.oneof(
      fc.constantFrom('"1"', '*', 'W/"1"'),
      fc.string({ minLength: 1020, maxLength: 1030 }),
    ),
    'If-Match': fc.constantFrom('"2"', 'x'.repeat(1025)),
    cookie: fc.constantFrom('a=1', 'user_id=x; b=2'),
    'x-other': text,
  },
  { requiredKeys: [] },
);
const json: fc.Arbitrary<JsonValue> = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>;
const bodyValue = fc.oneof(
  json,
  fc.record(
    {
      user_id: fc.oneof(text, json),
      updatedKey: fc.oneof(text, json),
      updatedValue: json,
      other: json,
    },
    { requiredKeys: [] },
  ),
  // JSON strings that hold JSON (or not), and numbers a `number` cannot hold, as the core
  // parses them.
  fc
    .constantFrom('"123"', '"abc"', '"{}"', '"null"', '12345678901234567890123', '1e400')
    .map(parseJson),
);
/** The body as the core hands it on: parsed JSON, or nothing. */
const body = fc.option(bodyValue, { nil: undefined });
const request = fc.record({ method: methods, path: paths, query, headers, body });

describe('the compiled router and validation', () => {
  it('route every request as openapi-backend does', () => {
    const router = createRouter(compiledContract);
    fc.assert(
      fc.property(methods, paths, (method, path) => {
        let expected: string | undefined;
        try {
          expected = backend.router.matchOperation({ method, path, headers: {} }, true).operationId;
        } catch {
          expected = undefined;
        }
        expect(router.match(method, path)?.operationId).toBe(expected);
      }),
      { numRuns: 2_000, seed: 20_261_124 },
    );
  });

  it('find the same errors as openapi-backend, in the same order', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...compiledContract.operations),
        request,
        (operation, generated) => {
          const apiRequest: ApiRequest = {
            method: generated.method,
            path: generated.path,
            query: generated.query,
            headers: generated.headers,
            body: undefined,
            requestId: 'r',
          };
          const expected = backend.validator.validateRequest(
            {
              method: apiRequest.method,
              path: apiRequest.path,
              query: structuredClone(generated.query) as Record<string, string | string[]>,
              headers: { ...generated.headers } as Record<string, string>,
              body: generated.body,
            },
            operation.operationId,
          ).errors;
          expect(validateRequest(operation, apiRequest, generated.body)).toEqual(expected);
        },
      ),
      { numRuns: 5_000, seed: 20_261_124 },
    );
  });
});
