/**
 * The API on middy, as its docs show: `@middy/http-router` dispatching to one middy handler per
 * operation, each with `@middy/validator` on its event (and `@middy/http-json-body-parser`
 * before it where there is a body); `http-event-normalizer`, `http-header-normalizer` and
 * Powertools' `injectLambdaContext` on the router; one `onError` middleware answering the
 * function's problems. The validators come from `middy-validators.ts`: compiled at cold start
 * as the docs show first, or, in the bench's second middy build, compiled at build time.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import httpEventNormalizer from '@middy/http-event-normalizer';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpRouterHandler, { type Route } from '@middy/http-router';
import validator from '@middy/validator';
import type { ErrorObject } from 'ajv';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Item } from '../../server/src/core/ports.js';
import { ValidationError } from '../../server/src/core/problems.js';
import { validators } from './middy-validators.js';
import {
  type CreateHandler,
  fieldErrorsFromAjv,
  peerOperations,
  problemFor,
  proxyResult,
  refusals,
  requestIdOf,
  type UpdateRequest,
} from './shared.js';

const PARTS = { queryStringParameters: 'parameter', headers: 'header', body: 'pointer' } as const;

export const createMiddyHandler: CreateHandler = ({ store, events, logger, maxBodyBytes }) => {
  const operations = peerOperations({ store, events, logger });

  const bodyLimit: MiddlewareObj<APIGatewayProxyEvent> = {
    before: ({ event }) => {
      if (Buffer.byteLength(event.body ?? '') > maxBodyBytes) {
        throw refusals.tooLarge(maxBodyBytes);
      }
    },
  };
  const getItem = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(validator({ eventSchema: validators.getItem }))
    .handler(async (event, context) =>
      proxyResult(
        await operations.getItem(
          { query: queryOf(event), headers: {}, body: undefined },
          { requestId: requestIdOf(event, context) },
        ),
      ),
    );

  const createItem = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(bodyLimit)
    .use(httpJsonBodyParser())
    .use(validator({ eventSchema: validators.createItem }))
    .handler(async (event, context) =>
      proxyResult(
        await operations.createItem(
          {
            query: {},
            headers: {},
            body: { mediaType: 'application/json', value: parsed<Item>(event) },
          },
          { requestId: requestIdOf(event, context) },
        ),
      ),
    );

  const updateItem = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(bodyLimit)
    .use(httpJsonBodyParser())
    .use(validator({ eventSchema: validators.updateItem }))
    .handler(async (event, context) =>
      proxyResult(
        await operations.updateItem(
          {
            query: {},
            headers: ifMatchOf(event),
            body: { mediaType: 'application/json', value: parsed<UpdateRequest>(event) },
          },
          { requestId: requestIdOf(event, context) },
        ),
      ),
    );

  const deleteItem = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(validator({ eventSchema: validators.deleteItem }))
    .handler(async (event, context) =>
      proxyResult(
        await operations.deleteItem(
          { query: queryOf(event), headers: ifMatchOf(event), body: undefined },
          { requestId: requestIdOf(event, context) },
        ),
      ),
    );

  const routes: Route<APIGatewayProxyEvent, APIGatewayProxyResult>[] = [
    { method: 'GET', path: '/dynamo', handler: getItem },
    { method: 'POST', path: '/dynamo', handler: createItem },
    { method: 'PATCH', path: '/dynamo', handler: updateItem },
    { method: 'DELETE', path: '/dynamo', handler: deleteItem },
  ];

  /** Every error, middy's and the operations', as the function's problem. */
  const problems: MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> = {
    onError: (request) => {
      const problem = problemFor(
        toProblemError(request.error),
        requestIdOf(request.event, request.context),
        logger,
      );
      request.response = {
        statusCode: problem.status,
        headers: problem.headers,
        body: problem.body,
      };
    },
  };

  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(injectLambdaContext(logger))
    .before(({ event, context }) => {
      logger.setCorrelationId(requestIdOf(event, context));
    })
    .use(httpEventNormalizer())
    .use(httpHeaderNormalizer())
    .use(problems)
    .handler(httpRouterHandler(routes));
};

/** The body, once `http-json-body-parser` parsed it and the validator checked it. */
function parsed<Body>(event: APIGatewayProxyEvent): Body {
  return event.body as unknown as Body;
}

/** After the validator: `user_id` is there (`http-event-normalizer` made the map). */
function queryOf(event: APIGatewayProxyEvent): { user_id: string } {
  return { user_id: event.queryStringParameters?.user_id ?? '' };
}

/** `If-Match`, present only when sent (`http-header-normalizer` lower-cased the names). */
function ifMatchOf(event: { headers: APIGatewayProxyEvent['headers'] }): { 'if-match'?: string } {
  const ifMatch = event.headers['if-match'];
  return ifMatch === undefined ? {} : { 'if-match': ifMatch };
}

/** Middy's own errors (`@middy/util`'s `createError`, with the package in `cause`). */
interface MiddyError extends Error {
  readonly statusCode?: number;
  readonly cause?: { readonly package?: string; readonly data?: unknown };
}

/** Middy's errors in the function's terms; anything else as it is. */
function toProblemError(error: Error | null): unknown {
  const { cause, message } = (error ?? {}) as MiddyError;
  switch (cause?.package) {
    case '@middy/validator':
      return new ValidationError(fieldErrorsFromAjv(cause.data as ErrorObject[], PARTS));
    case '@middy/http-json-body-parser':
      // It answers 415 for both; the contract says 400 for a body that does not parse.
      return message === 'Unsupported Media Type' ? refusals.notJson() : refusals.malformed();
    case '@middy/http-router':
      return refusals.noRoute();
    default:
      return error;
  }
}
