/**
 * One contract-test run against a deployment: the lifecycle, then the generated requests, then
 * the cleanup of every item this run may have written. Every answer is checked against
 * openapi.yaml (status, headers, body), and never a 5xx. What the run writes is made from the
 * contract's `Item`; a valid write may be refused (400) exactly when the item it would make is
 * not an `Item` (`./ledger.ts`).
 */
import { randomBytes, randomInt } from 'node:crypto';
import fc from 'fast-check';
import { type Auth, authorizer } from './auth.js';
import { createConformance } from './conformance.js';
import { type Contract, readContract } from './contract.js';
import { createGenerator, type PlannedRequest } from './generate.js';
import { BudgetExhaustedError, createSender, type Exchange, type Sender } from './http.js';
import { ITEM_REF } from './item.js';
import { createLedger, keysIn, type Refusal } from './ledger.js';
import { LIFECYCLE, type LifecycleState, type Step, type StepResponse } from './lifecycle.js';
import { planLifecycle } from './lifecycle-plan.js';
import { createSchemaCheck } from './schemas.js';

export interface RunOptions {
  /** Where the API is, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/prod`. */
  readonly baseUrl: string;
  /** The parsed openapi.yaml the deployment serves. */
  readonly document: object;
  /** Default: none. */
  readonly auth?: Auth;
  /** Generated requests per operation, half valid and half hostile. Default 20. */
  readonly cases?: number;
  /** Seed of the generated requests. Default: a random one (reported). */
  readonly seed?: number;
  /** Requests per second, at most. Default 10. */
  readonly rate?: number;
  /** Requests in all before cleanup, retries included. Default 1000. */
  readonly maxRequests?: number;
  /** Time limit of one request, in milliseconds. Default 10000. */
  readonly timeoutMs?: number;
  /** Start of every item key this run writes. Default `contract-test`. */
  readonly prefix?: string;
  /** The parameter and body property that name an item. Default `user_id`. */
  readonly keyName?: string;
  /** Lifecycle steps. Default `LIFECYCLE`. */
  readonly lifecycle?: readonly Step[];
  /** Called after each check, for progress output. */
  readonly onResult?: (result: CheckResult) => void;
  /** Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
}

/** One check: a lifecycle step, a generated request, or the cleanup of one item. */
export interface CheckResult {
  /** `lifecycle`, `generated <operationId>` or `cleanup`. */
  readonly group: string;
  readonly name: string;
  readonly exchange?: Exchange;
  /** Empty when the check passed. */
  readonly violations: readonly string[];
  /** Why the check was not run (an earlier lifecycle step failed). */
  readonly skipped?: string;
}

export interface RunReport {
  readonly baseUrl: string;
  readonly seed: number;
  /** The namespace of every key this run wrote: `<prefix>-<random>`. */
  readonly runId: string;
  readonly results: readonly CheckResult[];
  /** Requests sent, cleanup included. */
  readonly requests: number;
  readonly durationMs: number;
  readonly passed: boolean;
}

/** The pool of keys generated requests use: few, so that reads and writes meet. */
const POOL_SIZE = 4;

/**
 * @throws Error before sending anything when the plan cannot fit `maxRequests`, when the
 *   document lacks an operation a lifecycle step names or `components.schemas.Item`, or when a
 *   schema has no value the generator can find (`UnsatisfiableSchemaError`, naming it).
 */
export async function runContractTests(options: RunOptions): Promise<RunReport> {
  const started = Date.now();
  const contract = readContract(options.document);
  const conformance = createConformance(options.document);
  const check = createSchemaCheck(options.document);
  const seed = options.seed ?? randomInt(2 ** 31 - 1);
  const cases = options.cases ?? 20;
  const keyName = options.keyName ?? 'user_id';
  const runId = `${options.prefix ?? 'contract-test'}-${randomBytes(4).toString('hex')}`;
  const pool = Array.from({ length: POOL_SIZE }, (_, i) => `${runId}-g${i}`);
  const generator = createGenerator({ contract, check, keyName, keys: pool, seed });
  const lifecycleId = `${runId}-lifecycle`;
  const plan = planLifecycle({ contract, check, generator, keyName, id: lifecycleId });
  const steps = (options.lifecycle ?? LIFECYCLE).filter(
    (step) => step.applies?.(contract.operation(step.operationId), plan) ?? true,
  );
  const ledger = createLedger({ check, itemRef: ITEM_REF, keyName, keys: pool });
  const planned: PlannedRequest[] = [];
  for (const operation of contract.operations) {
    planned.push(...generator.valid(operation, Math.ceil(cases / 2)));
    planned.push(...generator.hostile(operation, Math.floor(cases / 2)));
  }
  // Interleaved, so that the pool's items are created, read, updated and deleted in every order.
  const order =
    fc.sample(fc.shuffledSubarray(planned, { minLength: planned.length }), {
      seed,
      numRuns: 1,
    })[0] ?? [];
  const maxRequests = options.maxRequests ?? 1000;
  if (steps.length + planned.length > maxRequests) {
    throw new Error(
      `${steps.length + planned.length} requests are planned, over --max-requests ${maxRequests}`,
    );
  }

  const authorize = await authorizer(options.auth ?? { kind: 'none' });
  const senderOptions = {
    baseUrl: options.baseUrl,
    rate: options.rate ?? 10,
    timeoutMs: options.timeoutMs ?? 10_000,
    ...(authorize === undefined ? {} : { authorize }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  };
  const sender = createSender({ ...senderOptions, maxRequests });
  const results: CheckResult[] = [];
  const record = (result: CheckResult) => {
    results.push(result);
    options.onResult?.(result);
  };
  /** Keys this run may have written, to delete at the end. */
  const written = new Set<string>([lifecycleId, ...pool]);

  /** What is wrong with any answer, whatever was asked. */
  const judge = (operationId: string, exchange: Exchange): string[] => {
    const { response } = exchange;
    if (response === undefined) return [`no answer: ${exchange.error ?? 'unknown'}`];
    const violations: string[] = [];
    if (response.status >= 500) violations.push(`a server error: ${response.status}`);
    violations.push(...conformance.checkResponse(operationId, response));
    return violations;
  };

  try {
    const state: LifecycleState = { id: lifecycleId, item: plan.item, plan, etags: {}, items: {} };
    let failedStep: string | undefined;
    for (const step of steps) {
      if (failedStep !== undefined) {
        record({
          group: 'lifecycle',
          name: step.name,
          violations: [],
          skipped: `"${failedStep}" failed`,
        });
        continue;
      }
      const exchange = await sendStep(sender, contract, step, state);
      const violations = judge(step.operationId, exchange);
      const { response } = exchange;
      if (response !== undefined) {
        if (response.status !== step.status) {
          violations.unshift(`expected ${step.status}, got ${response.status}`);
        } else {
          violations.push(...(step.check?.(parsed(response), state) ?? []));
        }
      }
      record({ group: 'lifecycle', name: step.name, exchange, violations });
      if (violations.length > 0) failedStep = step.name;
    }

    for (const request of order) {
      const refusal = ledger.refusal(request);
      const exchange = await sender.send(request);
      ledger.record(request, exchange.response);
      const violations = judge(request.operationId, exchange);
      const status = exchange.response?.status;
      if (status !== undefined) violations.push(...expectationOf(request, status, refusal));
      if (status !== undefined && status < 300) {
        for (const key of keysIn(request, keyName)) if (key.startsWith(runId)) written.add(key);
      }
      record({
        group: `generated ${request.operationId}`,
        name: request.description,
        exchange,
        violations,
      });
    }
  } catch (error) {
    if (!(error instanceof BudgetExhaustedError)) throw error;
    record({ group: 'run', name: 'request budget', violations: [error.message] });
  }

  // Cleanup has its own small budget, so that a run stopped by its budget still cleans up.
  const cleaner = createSender({ ...senderOptions, maxRequests: written.size * 3 });
  const remove = contract.operations.find((o) => o.id === 'deleteItem');
  for (const key of written) {
    if (remove === undefined) break;
    const exchange = await cleaner.send({
      method: remove.method,
      path: remove.path,
      query: [[keyName, key]],
    });
    const status = exchange.response?.status;
    // 400: a key the API refuses could never have been stored.
    const violations =
      status === 200 || status === 404 || status === 400
        ? []
        : [`could not delete ${key}: ${status ?? exchange.error}`];
    record({ group: 'cleanup', name: `delete ${key}`, exchange, violations });
  }

  return {
    baseUrl: options.baseUrl,
    seed,
    runId,
    results,
    requests: sender.sent + cleaner.sent,
    durationMs: Date.now() - started,
    passed: results.every((r) => r.violations.length === 0 && r.skipped === undefined),
  };
}

/**
 * What the answer to a generated request must be, beyond any answer's rules; `refusal` is what
 * the item it would make says of a 400.
 */
function expectationOf(request: PlannedRequest, status: number, refusal: Refusal): string[] {
  if (request.expectStatus !== undefined && status !== request.expectStatus) {
    return [`expected ${request.expectStatus}, got ${status}`];
  }
  if (request.kind === 'hostile' && (status < 400 || status >= 500)) {
    return [`a request openapi.yaml does not allow was answered ${status}, not a 4xx`];
  }
  if (request.kind === 'valid' && refusal === 'required' && status < 300) {
    return [`a write that makes an item the Item schema does not allow was answered ${status}`];
  }
  if (request.kind === 'valid' && status === 400 && refusal !== 'wrong') return [];
  if (request.kind === 'valid' && (status === 400 || status === 415 || status === 422)) {
    return [`a request openapi.yaml allows was refused with ${status}`];
  }
  return [];
}

async function sendStep(
  sender: Sender,
  contract: Contract,
  step: Step,
  state: LifecycleState,
): Promise<Exchange> {
  const operation = contract.operation(step.operationId);
  const spec = step.send(state);
  const headers: Record<string, string> = { ...spec.headers };
  let body: string | undefined;
  if (spec.body !== undefined) {
    headers['content-type'] = spec.mediaType ?? 'application/json';
    body = JSON.stringify(spec.body);
  }
  return sender.send({
    method: operation.method,
    path: operation.path,
    query: Object.entries(spec.query ?? {}),
    headers,
    ...(body === undefined ? {} : { body }),
  });
}

function parsed(response: NonNullable<Exchange['response']>): StepResponse {
  let json: unknown;
  try {
    json = response.body === '' ? undefined : JSON.parse(response.body);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json };
}
