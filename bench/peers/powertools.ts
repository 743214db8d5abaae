/**
 * The API on Powertools' event handler (`@aws-lambda-powertools/event-handler/http`), as its
 * docs show: a `Router` with one route per operation, request validation by Standard Schema
 * (zod) through each route's `validation` option (`reqCtx.valid.req`), route middleware, and
 * `errorHandler` turning every error into the function's problem. Powertools answers a failed
 * validation with 422 of its own; the contract says 400, so its `RequestValidationError` is
 * mapped like any other.
 */

import type { JSONObject } from '@aws-lambda-powertools/commons/types';
import {
  NotFoundError,
  RequestValidationError,
  Router,
} from '@aws-lambda-powertools/event-handler/http';
import type { Middleware } from '@aws-lambda-powertools/event-handler/types';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ValidationError } from '../../server/src/core/problems.js';
import {
  type CreateHandler,
  fieldErrorsFromIssues,
  isJsonBody,
  peerOperations,
  problemFor,
  refusals,
  requestIdOf,
} from './shared.js';
import { ifMatchHeader, item, updateRequest, userIdQuery } from './zod-schemas.js';

const PARTS = { query: 'parameter', headers: 'header', body: 'pointer' } as const;

export const createPowertoolsHandler: CreateHandler = ({ store, events, logger, maxBodyBytes }) => {
  const operations = peerOperations({ store, events, logger });
  const app = new Router({ logger });

  /** Before a body is parsed: its size and media type (Powertools parses only JSON as JSON). */
  const jsonBody: Middleware = async ({ reqCtx, next }) => {
    const body = reqCtx.event.body ?? '';
    if (Buffer.byteLength(body) > maxBodyBytes) {
      throw refusals.tooLarge(maxBodyBytes);
    }
    if (body !== '' && !isJsonBody(reqCtx.req.headers.get('content-type'))) {
      throw refusals.notJson();
    }
    await next();
  };

  app.get(
    '/dynamo',
    async (reqCtx) => {
      const result = await operations.getItem(
        { query: reqCtx.valid.req.query, headers: {}, body: undefined },
        { requestId: requestIdOf(reqCtx.event, reqCtx.context) },
      );
      return answer(result);
    },
    { validation: { req: { query: userIdQuery } } },
  );

  app.post(
    '/dynamo',
    [jsonBody],
    async (reqCtx) => {
      const result = await operations.createItem(
        {
          query: {},
          headers: {},
          body: { mediaType: 'application/json', value: reqCtx.valid.req.body },
        },
        { requestId: requestIdOf(reqCtx.event, reqCtx.context) },
      );
      return answer(result);
    },
    { validation: { req: { body: item } } },
  );

  app.patch(
    '/dynamo',
    [jsonBody],
    async (reqCtx) => {
      const result = await operations.updateItem(
        {
          query: {},
          headers: reqCtx.valid.req.headers,
          body: { mediaType: 'application/json', value: reqCtx.valid.req.body },
        },
        { requestId: requestIdOf(reqCtx.event, reqCtx.context) },
      );
      return answer(result);
    },
    { validation: { req: { body: updateRequest, headers: ifMatchHeader } } },
  );

  app.delete(
    '/dynamo',
    async (reqCtx) => {
      const result = await operations.deleteItem(
        { query: reqCtx.valid.req.query, headers: reqCtx.valid.req.headers, body: undefined },
        { requestId: requestIdOf(reqCtx.event, reqCtx.context) },
      );
      return answer(result);
    },
    { validation: { req: { query: userIdQuery, headers: ifMatchHeader } } },
  );

  /** Every error, the framework's and the operations', as the function's problem. */
  app.errorHandler(Error, async (error, reqCtx) => {
    const problem = problemFor(
      toProblemError(error),
      requestIdOf(reqCtx.event, reqCtx.context),
      logger,
    );
    return new Response(problem.body, { status: problem.status, headers: problem.headers });
  });

  return async (event, context) => {
    logger.addContext(context);
    logger.setCorrelationId(requestIdOf(event, context));
    return app.resolve(event, context);
  };
};

/** An operation's result as Powertools' extended proxy result: it serialises the body. */
function answer(result: {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: unknown;
}) {
  return {
    statusCode: result.status,
    headers: { ...result.headers },
    body: result.body as JSONObject,
  };
}

/** Powertools' own errors in the function's terms; anything else as it is. */
function toProblemError(error: Error): unknown {
  if (error instanceof RequestValidationError) {
    const issues = (error.details?.issues ?? []) as StandardSchemaV1.Issue[];
    // Without issues, it is the one other thing it reports: a JSON body that does not parse.
    return issues.length === 0
      ? refusals.malformed()
      : new ValidationError(fieldErrorsFromIssues(issues, PARTS));
  }
  if (error instanceof NotFoundError) return refusals.noRoute();
  return error;
}
