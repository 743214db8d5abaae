/**
 * Credentials on each request: an API Gateway API key (`x-api-key`), a bearer token, or AWS
 * Signature Version 4 with the credentials the standard AWS chain finds (environment, shared
 * config and SSO profiles, web identity, container and instance roles), signed by `aws4fetch`.
 */
import type { Authorize } from './http.js';

export type Auth =
  | { readonly kind: 'none' }
  | { readonly kind: 'api-key'; readonly key: string }
  | { readonly kind: 'bearer'; readonly token: string }
  | {
      readonly kind: 'sigv4';
      readonly region: string;
      /** Default `execute-api` (API Gateway). */
      readonly service?: string;
      /** Default: the AWS SDK's Node.js provider chain. */
      readonly credentials?: () => Promise<AwsCredentials>;
    };

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

export async function authorizer(auth: Auth): Promise<Authorize | undefined> {
  switch (auth.kind) {
    case 'none':
      return undefined;
    case 'api-key':
      return async (request) => withHeader(request, 'x-api-key', auth.key);
    case 'bearer':
      return async (request) => withHeader(request, 'authorization', `Bearer ${auth.token}`);
    case 'sigv4': {
      // Loaded only when asked for: the chain pulls in the SSO and STS clients.
      const [{ AwsClient }, credentials] = await Promise.all([
        import('aws4fetch'),
        auth.credentials ??
          import('@aws-sdk/credential-provider-node').then((m) => m.defaultProvider()),
      ]);
      return async (request) => {
        // The chain's provider caches credentials and renews them before they expire.
        const { accessKeyId, secretAccessKey, sessionToken } = await credentials();
        const client = new AwsClient({
          accessKeyId,
          secretAccessKey,
          ...(sessionToken === undefined ? {} : { sessionToken }),
          region: auth.region,
          service: auth.service ?? 'execute-api',
        });
        return client.sign(request);
      };
    }
  }
}

function withHeader(request: Request, name: string, value: string): Request {
  const headers = new Headers(request.headers);
  headers.set(name, value);
  return new Request(request, { headers });
}
