/**
 * Each operation's input and result as the contract types them, derived from openapi.yaml's
 * generated `operations` (openapi-typescript): what validation hands an operation, and what the
 * operation must answer. A change to openapi.yaml changes these, so the operations table and
 * every handler are checked against the contract by `tsc`.
 */
import type { OperationId } from './operations.gen.js';
import type { operations } from './types.gen.js';

type Operation<Id extends OperationId> = operations[Id];

/** `T` without the `[name: string]: unknown` index signature openapi-typescript adds. */
type KnownKeys<T> = {
  [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K];
};
/** Header names as requests and responses carry them: lower case. */
type LowercaseKeys<T> = { [K in keyof T as Lowercase<K & string>]: T[K] };
type Present<T> = [Exclude<T, undefined>] extends [never]
  ? Record<string, never>
  : Exclude<T, undefined>;

/** The validated query parameters, by name. */
export type OperationQuery<Id extends OperationId> = Present<Operation<Id>['parameters']['query']>;

/** The validated header parameters the contract declares, by lower-case name. */
export type OperationHeaders<Id extends OperationId> = LowercaseKeys<
  Present<Operation<Id>['parameters']['header']>
>;

/** The validated body and the media type it came as; `undefined` for operations without one. */
export type OperationBody<Id extends OperationId> = Operation<Id>['requestBody'] extends {
  content: infer Content;
}
  ? { [M in keyof Content]: { readonly mediaType: M; readonly value: Content[M] } }[keyof Content]
  : undefined;

/** What an operation receives: exactly what validation checked. */
export interface OperationInput<Id extends OperationId> {
  readonly query: OperationQuery<Id>;
  readonly headers: OperationHeaders<Id>;
  readonly body: OperationBody<Id>;
}

type Responses<Id extends OperationId> = Operation<Id>['responses'];
type SuccessStatus<Id extends OperationId> = Extract<keyof Responses<Id>, 200 | 201 | 204 | 304>;
type ResponseHeaders<R> = R extends { headers: infer H } ? LowercaseKeys<KnownKeys<H>> : never;
type ResponseBody<R> = R extends { content: { 'application/json': infer Body } } ? Body : undefined;

/**
 * What an operation answers on success: a status the contract documents, its headers, its body
 * (for a union of operations, any one of theirs).
 */
export type OperationResult<Id extends OperationId> = Id extends OperationId
  ? {
      [S in SuccessStatus<Id>]: {
        readonly status: S;
        readonly headers: ResponseHeaders<Responses<Id>[S]>;
        readonly body: ResponseBody<Responses<Id>[S]>;
      };
    }[SuccessStatus<Id>]
  : never;
