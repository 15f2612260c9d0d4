/**
 * Verifying a signed controller request (DESIGN.md point 7). Checks run
 * cheapest first, and the nonce is recorded last, so neither a forged request
 * nor a stale one can use up a genuine request's nonce:
 *   headers parse → policy (components, parameters) → time window → signature
 *   base → key lookup → Ed25519 → Content-Digest against the body → nonce.
 * Every refusal is a SignatureError with a stable reason.
 *
 * Recording the nonce elsewhere: `verify(request, { deferNonce: true })` does
 * every check but the nonce and leaves recording it to the caller, which must
 * then record `nonce` for `keyId` until `nonceUntilMs` with NonceCache
 * semantics before acting on the request, and refuse it with
 * `replayedNonce(keyId, nonce)` when the pair was already recorded. That lets
 * a server record the nonce in the same database transaction as the
 * request's effects (one commit instead of two): the request then uses its
 * nonce exactly when its effects commit, and two copies of it racing each
 * other serialise on the nonce's unique key, one committed, one refused.
 */
import { verify as cryptoVerify } from 'node:crypto';
import { verifyContentDigest } from '../digest/content-digest.js';
import { SignatureError } from '../errors.js';
import { headerValue, signatureBase } from './components.js';
import type { SignedRequest } from './components.js';
import type { KeyResolver } from './key-registry.js';
import type { NonceCache } from './nonce-cache.js';
import { parseSignatureFields } from './signature-fields.js';
import { BULWARK_COVERED_COMPONENTS, SIGNATURE_ALGORITHM } from './sign.js';

export const DEFAULT_CLOCK_SKEW_SECONDS = 60;
/** Longest expires − created accepted; bounds how long the nonce cache must remember. */
export const DEFAULT_MAX_VALIDITY_SECONDS = 300;
const MAX_NONCE_LENGTH = 128;

export interface VerifierOptions<Owner = unknown> {
  readonly resolveKey: KeyResolver<Owner>;
  readonly nonces: NonceCache;
  /** Epoch ms. */
  readonly now: () => number;
  readonly clockSkewSeconds?: number;
  readonly maxValiditySeconds?: number;
  /** Components every signature must cover; default "@method", "@target-uri", "content-digest". */
  readonly requiredComponents?: readonly string[];
  /** Which signature to check; default the only one present. */
  readonly label?: string;
}

export interface VerifiedRequest<Owner = unknown> {
  readonly keyId: string;
  readonly owner: Owner;
  readonly label: string;
  /** Epoch seconds, as signed. */
  readonly created: number;
  readonly expires: number;
  readonly nonce: string;
  /** Epoch ms: the last instant the signature passes the time check; remember the nonce until then. */
  readonly nonceUntilMs: number;
  readonly components: readonly string[];
}

export interface VerifyOptions {
  /** Do not record the nonce: the caller records it, in its own transaction (see above). */
  readonly deferNonce?: boolean;
}

/** The refusal for a nonce already recorded, the same wherever it was found. */
export function replayedNonce(keyId: string, nonce: string): SignatureError {
  return new SignatureError('replayed-nonce', `nonce "${nonce}" of key ${keyId} was already used`);
}

export class RequestVerifier<Owner = unknown> {
  private readonly skewSeconds: number;
  private readonly maxValiditySeconds: number;
  private readonly required: readonly string[];

  constructor(private readonly options: VerifierOptions<Owner>) {
    this.skewSeconds = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
    this.maxValiditySeconds = options.maxValiditySeconds ?? DEFAULT_MAX_VALIDITY_SECONDS;
    this.required = options.requiredComponents ?? BULWARK_COVERED_COMPONENTS;
    if (!Number.isFinite(this.skewSeconds) || this.skewSeconds < 0) {
      throw new RangeError(`clockSkewSeconds must be a number >= 0, got ${String(options.clockSkewSeconds)}`);
    }
    if (!Number.isInteger(this.maxValiditySeconds) || this.maxValiditySeconds < 1) {
      throw new RangeError(
        `maxValiditySeconds must be a positive integer, got ${String(options.maxValiditySeconds)}`,
      );
    }
  }

  /** Resolves with who signed, or rejects with a SignatureError. */
  async verify(request: SignedRequest, opts: VerifyOptions = {}): Promise<VerifiedRequest<Owner>> {
    const parsed = parseSignatureFields(
      headerValue(request.headers, 'signature-input'),
      headerValue(request.headers, 'signature'),
      this.options.label,
    );
    const label = parsed.label;
    const uncovered = this.required.filter((component) => !parsed.components.includes(component));
    if (uncovered.length > 0) {
      throw new SignatureError(
        'missing-component',
        `signature "${label}" does not cover ${uncovered.map((c) => `"${c}"`).join(', ')}`,
      );
    }
    const { created, expires, nonce, keyid, alg } = parsed.params;
    const absent = (name: string): SignatureError =>
      new SignatureError('malformed-signature', `signature "${label}" has no ${name} parameter`);
    if (created === undefined) throw absent('created');
    if (expires === undefined) throw absent('expires');
    if (nonce === undefined) throw absent('nonce');
    if (keyid === undefined) throw absent('keyid');
    if (alg !== undefined && alg !== SIGNATURE_ALGORITHM) {
      throw new SignatureError(
        'malformed-signature',
        `alg "${alg}" is not supported; use "${SIGNATURE_ALGORITHM}"`,
      );
    }
    if (nonce.length === 0 || nonce.length > MAX_NONCE_LENGTH) {
      throw new SignatureError('malformed-signature', `nonce must be 1 to ${MAX_NONCE_LENGTH} characters`);
    }
    if (expires <= created) {
      throw new SignatureError(
        'malformed-signature',
        `expires (${expires}) is not after created (${created})`,
      );
    }
    if (expires - created > this.maxValiditySeconds) {
      throw new SignatureError(
        'malformed-signature',
        `validity of ${expires - created} s exceeds the ${this.maxValiditySeconds} s allowed`,
      );
    }

    const nowMs = this.options.now();
    const skewMs = this.skewSeconds * 1000;
    if (created * 1000 > nowMs + skewMs) {
      throw new SignatureError(
        'not-yet-valid',
        `created ${created} is ${Math.round((created * 1000 - nowMs) / 1000)} s ahead of the verifier's clock (skew allowed ${this.skewSeconds} s)`,
      );
    }
    const lastValidMs = expires * 1000 + skewMs;
    if (nowMs > lastValidMs) {
      throw new SignatureError(
        'expired',
        `signature expired at ${expires}, ${Math.round((nowMs - expires * 1000) / 1000)} s ago (skew allowed ${this.skewSeconds} s)`,
      );
    }

    const base = signatureBase(request, parsed.components, parsed.signatureParams);

    const key = await this.options.resolveKey(keyid);
    if (key === undefined) throw new SignatureError('unknown-key', `key ${keyid} is not enrolled`);
    if (key.status === 'revoked') throw new SignatureError('revoked-key', `key ${keyid} has been revoked`);
    if (key.publicKey.asymmetricKeyType !== 'ed25519') {
      throw new SignatureError('bad-signature', `key ${keyid} is not an Ed25519 key`);
    }
    if (!cryptoVerify(null, Buffer.from(base, 'utf8'), key.publicKey, parsed.signature)) {
      throw new SignatureError('bad-signature', `signature "${label}" does not verify with key ${keyid}`);
    }

    if (parsed.components.includes('content-digest')) {
      verifyContentDigest(headerValue(request.headers, 'content-digest'), request.body);
    }

    if (!opts.deferNonce && !(await this.options.nonces.remember(keyid, nonce, lastValidMs))) {
      throw replayedNonce(keyid, nonce);
    }
    return {
      keyId: keyid,
      owner: key.owner,
      label,
      created,
      expires,
      nonce,
      nonceUntilMs: lastValidMs,
      components: parsed.components,
    };
  }
}
