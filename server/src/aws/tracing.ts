/**
 * X-Ray tracing of the AWS calls, with Powertools' tracer: each DynamoDB, EventBridge and SQS
 * call becomes a subsegment of the invocation's trace (Lambda's own segment, with active
 * tracing). Loaded by `lambda.ts` only when `POWERTOOLS_TRACE_ENABLED` is `true` (Terraform's
 * `tracing` variable): the tracer and the X-Ray SDK under it are a chunk of their own, so an
 * untraced cold start does not load them (`npm run bench` measures both).
 */
import { Tracer } from '@aws-lambda-powertools/tracer';

const tracer = new Tracer();

/** `client`, its calls traced (`Tracer.captureAWSv3Client`). */
export function traceClient<T>(client: T): T {
  return tracer.captureAWSv3Client(client as Parameters<Tracer['captureAWSv3Client']>[0]) as T;
}
