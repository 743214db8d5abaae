/**
 * `@dynamo-crud/sdk/sigv4`: AWS Signature Version 4 for an API deployed with IAM auth (the
 * default). A separate entry point, so that an app that does not need it never loads it nor its
 * optional peer dependency `aws4fetch` (about 2 kB, WebCrypto: browsers, Node, workers).
 */
import { AwsClient } from 'aws4fetch';

/** AWS credentials: the shape `@aws-sdk/credential-providers` resolves to. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Present for temporary credentials (a role, SSO, Cognito). */
  readonly sessionToken?: string | undefined;
  /** When temporary credentials stop working; they are fetched anew 5 minutes before. */
  readonly expiration?: Date | undefined;
}

/** A function that resolves credentials, e.g. `fromNodeProviderChain()` or `fromCognitoIdentityPool(...)`. */
export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

export interface SigV4Options {
  /** The API's region, e.g. `eu-west-1`. */
  readonly region: string;
  /** The service signed for. Default `execute-api` (API Gateway). */
  readonly service?: string;
  /**
   * Credentials, or a provider of them. A provider is called on the first request and again
   * only when its credentials are within 5 minutes of `expiration`.
   */
  readonly credentials: AwsCredentials | AwsCredentialsProvider;
  /** The `fetch` that sends the signed request. Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
}

const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

/**
 * A `fetch` that signs every request with SigV4 before sending it. Pass it as the client's
 * `fetch`; each attempt, retries included, is signed afresh.
 *
 * @example
 * ```ts
 * import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
 * import { createClient } from '@dynamo-crud/sdk';
 * import { createSigV4Fetch } from '@dynamo-crud/sdk/sigv4';
 *
 * const api = createClient({
 *   baseUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
 *   fetch: createSigV4Fetch({ region: 'eu-west-1', credentials: fromNodeProviderChain() }),
 * });
 * ```
 */
export function createSigV4Fetch(options: SigV4Options): typeof fetch {
  const credentials = cached(options.credentials);
  const service = options.service ?? 'execute-api';
  const signing = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const { accessKeyId, secretAccessKey, sessionToken } = await credentials();
    const signer = new AwsClient({
      accessKeyId,
      secretAccessKey,
      ...(sessionToken === undefined ? {} : { sessionToken }),
      region: options.region,
      service,
    });
    const signed = await signer.sign(request);
    // The signed copy does not carry the signal; timeouts and aborts must still reach fetch.
    return (options.fetch ?? globalThis.fetch)(signed, { signal: request.signal });
  };
  return signing as typeof fetch;
}

/** Credentials as a function that resolves them once and again only near their expiry. */
function cached(source: AwsCredentials | AwsCredentialsProvider): () => Promise<AwsCredentials> {
  if (typeof source !== 'function') return () => Promise.resolve(source);
  let current: AwsCredentials | undefined;
  let pending: Promise<AwsCredentials> | undefined;
  return () => {
    if (current !== undefined && !expiresSoon(current)) return Promise.resolve(current);
    pending ??= source()
      .then((resolved) => {
        current = resolved;
        return resolved;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}

function expiresSoon({ expiration }: AwsCredentials): boolean {
  return expiration !== undefined && expiration.getTime() - Date.now() < REFRESH_BEFORE_EXPIRY_MS;
}
