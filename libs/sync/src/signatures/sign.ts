/**
 * Signing a controller request (DESIGN.md point 7, issue 5 item 3): the
 * Content-Digest of the exact body, then an Ed25519 HTTP Message Signature
 * (RFC 9421) over "@method", "@target-uri" and "content-digest" with created,
 * expires, nonce, keyid (the SHA256 fingerprint) and alg="ed25519". The caller
 * sends the three returned headers with exactly the body and URI it passed in.
 */
import { randomBytes as nodeRandomBytes, sign as cryptoSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { contentDigest } from '../digest/content-digest.js';
import type { Body } from '../digest/content-digest.js';
import type { RandomBytes, SshPrivateKey } from '../keys/openssh-keys.js';
import { signatureBase } from './components.js';
import type { HeaderBag, SignedMessage } from './components.js';
import { serializeSignatureFields, signatureParamsValue } from './signature-fields.js';
import type { SignatureParameters } from './signature-fields.js';

/** What every Bulwark request signature covers, in this order. */
export const BULWARK_COVERED_COMPONENTS: readonly string[] = Object.freeze([
  '@method',
  '@target-uri',
  'content-digest',
]);
export const DEFAULT_SIGNATURE_LABEL = 'sig1';
export const SIGNATURE_ALGORITHM = 'ed25519';
/** How long a signature stays valid after `created`. */
export const DEFAULT_VALIDITY_SECONDS = 60;
const NONCE_BYTES = 16;

export interface SigningKey {
  /** The key's SHA256 fingerprint, `SHA256:…`. */
  readonly keyId: string;
  /** An Ed25519 private KeyObject. */
  readonly privateKey: KeyObject;
}

export function signingKeyFrom(key: SshPrivateKey): SigningKey {
  return { keyId: key.fingerprint, privateKey: key.keyObject };
}

/** The headers a signed request adds; names are lowercase. A type, not an interface, so it spreads into a HeaderBag. */
export type SignatureHeaders = {
  readonly 'content-digest': string;
  readonly 'signature-input': string;
  readonly signature: string;
};

export interface RequestToSign {
  readonly method: string;
  readonly targetUri: string;
  readonly body: Body;
  /** Other headers the request carries; only read when a covered component names one. */
  readonly headers?: HeaderBag;
}

/**
 * Signs any set of covered components under explicit parameters: the RFC 9421
 * primitive. Ed25519 is deterministic, so the same inputs give the same bytes.
 */
export function signMessage(
  message: SignedMessage,
  components: readonly string[],
  params: SignatureParameters,
  privateKey: KeyObject,
  label: string = DEFAULT_SIGNATURE_LABEL,
): { signatureInput: string; signature: string; base: string } {
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new TypeError(`signing key must be ed25519, got ${String(privateKey.asymmetricKeyType)}`);
  }
  const base = signatureBase(message, components, signatureParamsValue(components, params));
  const bytes = cryptoSign(null, Buffer.from(base, 'utf8'), privateKey);
  return { ...serializeSignatureFields(label, components, params, bytes), base };
}

export interface SignRequestOptions {
  readonly key: SigningKey;
  /** Epoch seconds. */
  readonly created: number;
  /** Epoch seconds. */
  readonly expires: number;
  readonly nonce: string;
  readonly label?: string;
}

/** A Bulwark request signature with explicit time and nonce. */
export function signRequest(request: RequestToSign, options: SignRequestOptions): SignatureHeaders {
  const digest = contentDigest(request.body);
  const message: SignedMessage = {
    method: request.method,
    targetUri: request.targetUri,
    headers: { ...request.headers, 'content-digest': digest },
  };
  const params: SignatureParameters = {
    created: options.created,
    expires: options.expires,
    nonce: options.nonce,
    keyid: options.key.keyId,
    alg: SIGNATURE_ALGORITHM,
  };
  const signed = signMessage(
    message,
    BULWARK_COVERED_COMPONENTS,
    params,
    options.key.privateKey,
    options.label,
  );
  return { 'content-digest': digest, 'signature-input': signed.signatureInput, signature: signed.signature };
}

export interface RequestSignerOptions {
  readonly key: SigningKey;
  /**
   * Epoch ms. The controller passes its clock corrected by the offset it reads
   * from the cloud's Date header, so a drifting clock still signs inside the skew.
   */
  readonly now: () => number;
  readonly randomBytes?: RandomBytes;
  readonly validitySeconds?: number;
  readonly label?: string;
}

/** Signs each request with the current time and a fresh 128-bit nonce. */
export class RequestSigner {
  private readonly random: RandomBytes;
  private readonly validitySeconds: number;

  constructor(private readonly options: RequestSignerOptions) {
    this.random = options.randomBytes ?? nodeRandomBytes;
    this.validitySeconds = options.validitySeconds ?? DEFAULT_VALIDITY_SECONDS;
    if (!Number.isInteger(this.validitySeconds) || this.validitySeconds < 1) {
      throw new RangeError(
        `validitySeconds must be a positive integer, got ${String(options.validitySeconds)}`,
      );
    }
  }

  get keyId(): string {
    return this.options.key.keyId;
  }

  sign(request: RequestToSign): SignatureHeaders {
    const created = Math.floor(this.options.now() / 1000);
    const nonce = Buffer.from(this.random(NONCE_BYTES)).toString('base64url');
    return signRequest(request, {
      key: this.options.key,
      created,
      expires: created + this.validitySeconds,
      nonce,
      label: this.options.label,
    });
  }
}
