/**
 * The contract tests as a library: the checker every test of this repository runs on every
 * answer (`createConformance`), and the runner behind the `dynamo-crud-contract-tests` command
 * (`runContractTests`), for programs that want the results rather than the printout.
 */
export type { Auth, AwsCredentials } from './auth.js';
export { type Conformance, createConformance, type SeenResponse } from './conformance.js';
export { type Contract, type Operation, readContract } from './contract.js';
export { UnsatisfiableSchemaError } from './generate.js';
export type { Exchange, SentRequest } from './http.js';
export {
  LIFECYCLE,
  type LifecycleState,
  type Step,
  type StepRequest,
  type StepResponse,
} from './lifecycle.js';
export { type LifecyclePlan, lifecycleItem, planLifecycle } from './lifecycle-plan.js';
export { formatReport, junitXml } from './report.js';
export { type CheckResult, type RunOptions, type RunReport, runContractTests } from './run.js';
