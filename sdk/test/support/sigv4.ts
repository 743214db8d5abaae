/**
 * Checks a SigV4 signature independently: recomputes it with the AWS SDK's own signer
 * (`@smithy/signature-v4`) over the request as received, with the same credentials and date,
 * over the headers the signature names.
 */
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentials } from '../../src/sigv4.js';

/** A request as a server (or a browser's network log) saw it. */
export interface Received {
  readonly method: string;
  readonly url: URL;
  readonly headers: Headers;
  readonly body: string;
}

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: SourceData): string | Uint8Array =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

/** `@smithy/signature-v4` wants a hash constructor; node:crypto is one. */
class Sha256 {
  readonly #hash;
  constructor(secret?: SourceData) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.#hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

/** The Authorization header the AWS SDK's signer computes for `request` (service execute-api). */
export async function signatureFor(
  request: Received,
  region: string,
  credentials: AwsCredentials,
): Promise<string> {
  const authorization = request.headers.get('authorization') ?? '';
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
  const headers: Record<string, string> = {};
  // fetch sets Host from the URL; msw's copy of the request does not show it.
  for (const name of signedHeaders) {
    headers[name] = name === 'host' ? request.url.host : (request.headers.get(name) ?? '');
  }
  const amzDate = request.headers.get('x-amz-date') ?? '';
  const signingDate = new Date(
    amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
  );
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken === undefined ? {} : { sessionToken: credentials.sessionToken }),
    },
    sha256: Sha256,
    // API Gateway takes the payload hash from the signature, not from a header.
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      path: request.url.pathname,
      query: Object.fromEntries(request.url.searchParams),
      headers,
      ...(request.body === '' ? {} : { body: request.body }),
    },
    { signingDate },
  );
  return String(signed.headers.authorization);
}
