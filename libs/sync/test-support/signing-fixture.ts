/**
 * A signer and a verifier wired to one fake clock, one registry and one nonce
 * cache, for the signature specs. Keys come from fixed seeds so every run signs
 * the same bytes; `expectRefusal` asserts the reason, never just "it threw".
 */
import { expect } from '@jest/globals';
import {
  generateKeyPair,
  InMemoryKeyRegistry,
  InMemoryNonceCache,
  parsePrivateKey,
  RequestSigner,
  RequestVerifier,
  signingKeyFrom,
  SignatureError,
} from '#libs/sync';
import type {
  SignatureFailureReason,
  SignedRequest,
  SigningKey,
  VerifiedRequest,
  VerifierOptions,
} from '#libs/sync';

export const T0_MS = Date.UTC(2026, 0, 15, 12, 0, 0);
export const TARGET = 'https://cloud.example/api/v1/controllers/ctl-1/batches?after=41';

export interface ControllerKey {
  readonly publicLine: string;
  readonly fingerprint: string;
  readonly signing: SigningKey;
}

/** A key pair derived from a one-byte pattern, so tests can name "key A" and "key B". */
export function controllerKey(pattern: number, comment = `ctl-${pattern}`): ControllerKey {
  const pair = generateKeyPair({ comment, randomBytes: (n) => new Uint8Array(n).fill(pattern) });
  return {
    publicLine: pair.publicKey,
    fingerprint: pair.fingerprint,
    signing: signingKeyFrom(parsePrivateKey(pair.privateKey)),
  };
}

export class Clock {
  constructor(public ms = T0_MS) {}
  readonly now = (): number => this.ms;
}

/** Counter-based randomness: distinct nonces, same sequence on every run. */
export function counterRandom(): (n: number) => Uint8Array {
  let counter = 0;
  return (n) => {
    const bytes = new Uint8Array(n);
    new DataView(bytes.buffer).setUint32(0, ++counter);
    return bytes;
  };
}

export function signerFor(key: ControllerKey, clock: Clock, validitySeconds?: number): RequestSigner {
  return new RequestSigner({
    key: key.signing,
    now: clock.now,
    randomBytes: counterRandom(),
    validitySeconds,
  });
}

export interface World {
  readonly clock: Clock;
  readonly registry: InMemoryKeyRegistry<string>;
  readonly nonces: InMemoryNonceCache;
  readonly verifier: RequestVerifier<string>;
}

export function world(options: Partial<VerifierOptions<string>> = {}): World {
  const clock = new Clock();
  const registry = new InMemoryKeyRegistry<string>();
  const nonces = new InMemoryNonceCache(clock.now);
  const verifier = new RequestVerifier<string>({
    resolveKey: registry.resolve,
    nonces,
    now: clock.now,
    ...options,
  });
  return { clock, registry, nonces, verifier };
}

/** A POST with `body`, signed by `signer`, as the cloud would receive it. */
export function signedPost(
  signer: RequestSigner,
  body: string | Uint8Array,
  targetUri = TARGET,
): SignedRequest {
  const headers = signer.sign({ method: 'POST', targetUri, body });
  return {
    method: 'POST',
    targetUri,
    body,
    headers: { 'content-type': 'application/json', ...headers },
  };
}

export async function expectRefusal(
  verification: Promise<VerifiedRequest<string>>,
  reason: SignatureFailureReason,
): Promise<SignatureError> {
  const error: unknown = await verification.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SignatureError);
  expect((error as SignatureError).reason).toBe(reason);
  return error as SignatureError;
}

export const BODY = '{"batch":[{"seq":42,"point":"ahu-1.sat","value":13.5}]}';
export const KEY_A = controllerKey(1);
export const KEY_B = controllerKey(2);
export const T0_S = T0_MS / 1000;

/** A world where KEY_A is enrolled for ctl-1, and a request KEY_A signed at T0. */
export function enrolled(): ReturnType<typeof world> & { request: SignedRequest; signer: RequestSigner } {
  const w = world();
  w.registry.enrol(KEY_A.publicLine, 'ctl-1');
  const signer = signerFor(KEY_A, w.clock);
  return { ...w, signer, request: signedPost(signer, BODY) };
}

export function withHeaders(
  request: SignedRequest,
  headers: Record<string, string | undefined>,
): SignedRequest {
  return { ...request, headers: { ...request.headers, ...headers } };
}

export function flipSignatureByte(signature: string): string {
  const [, label, b64] = /^([^=]+)=:(.*):$/.exec(signature)!;
  const bytes = Buffer.from(b64, 'base64');
  bytes[10] ^= 0x01;
  return `${label}=:${bytes.toString('base64')}:`;
}
