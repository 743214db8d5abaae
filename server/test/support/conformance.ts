/**
 * Every response the server produces in tests is checked against openapi.yaml (the checker is
 * the contract-test package's, which users run against their deployments), and so is every
 * event detail.
 */
import { createConformance, type SeenResponse } from '@dynamo-crud/contract-tests';
import { expect } from 'vitest';
import type { OperationId } from '../../src/core/openapi/operations.gen.js';
import { parseOpenApi } from '../../src/openapi.js';

export type { OperationId, SeenResponse };

export const openApi = parseOpenApi();
const conformance = createConformance(openApi);

/**
 * Asserts that `response` is an answer the contract allows for `operationId` (`undefined`: a
 * request no operation matches, which must get a problem). Returns the parsed body.
 */
export function expectContractResponse(
  operationId: OperationId | undefined,
  response: SeenResponse,
  method?: string,
): unknown {
  const violations = conformance.checkResponse(
    operationId,
    response,
    method === undefined ? {} : { method },
  );
  expect(violations, `${response.status} ${response.body.slice(0, 500)}`).toEqual([]);
  return response.body === '' ? undefined : JSON.parse(response.body);
}

/** Asserts that `value` is an instance of `components.schemas[name]` of openapi.yaml. */
export function expectValidSchema(name: string, value: unknown): void {
  expect(conformance.checkSchema(name, value), JSON.stringify(value).slice(0, 300)).toEqual([]);
}

/** An answer, with its body parsed. */
export interface CheckedResponse extends SeenResponse {
  readonly json: Record<string, unknown>;
}

/** `answer`, once it came, checked against the contract as `operationId`'s (see above). */
export async function checked(
  operationId: OperationId | undefined,
  answer: Promise<SeenResponse>,
): Promise<CheckedResponse> {
  const seen = await answer;
  return { ...seen, json: expectContractResponse(operationId, seen) as Record<string, unknown> };
}
