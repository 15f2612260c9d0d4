/**
 * libs/sync, part 1 (issue 5 items 2 and 3, DESIGN.md point 7): controller keys
 * in OpenSSH format with their SHA256 fingerprints, Content-Digest (RFC 9530)
 * and Ed25519 HTTP Message Signatures (RFC 9421) for signing and verifying
 * controller requests. Pure: time, randomness, key lookup and the nonce store
 * are injected; no framework and no network. Outbox envelopes and the batch
 * format come later in this library.
 */
export { KeyFormatError, SIGNATURE_FAILURE_REASONS, SignatureError } from './errors.js';
export type { SignatureFailureReason } from './errors.js';
export { fingerprintOf, generateKeyPair, parsePrivateKey, parsePublicKey } from './keys/openssh-keys.js';
export type {
  GenerateKeyOptions,
  GeneratedKeyPair,
  RandomBytes,
  SshPrivateKey,
  SshPublicKey,
} from './keys/openssh-keys.js';
export {
  bodyBytes,
  CONTENT_DIGEST_ALGORITHM,
  contentDigest,
  parseContentDigest,
  verifyContentDigest,
} from './digest/content-digest.js';
export type { Body } from './digest/content-digest.js';
export { componentValue, headerValue, signatureBase } from './signatures/components.js';
export type { HeaderBag, HeaderValue, SignedMessage, SignedRequest } from './signatures/components.js';
export {
  parseSignatureFields,
  serializeSignatureFields,
  signatureParamsValue,
} from './signatures/signature-fields.js';
export type { ParsedSignature, SignatureParameters } from './signatures/signature-fields.js';
export {
  BULWARK_COVERED_COMPONENTS,
  DEFAULT_SIGNATURE_LABEL,
  DEFAULT_VALIDITY_SECONDS,
  RequestSigner,
  SIGNATURE_ALGORITHM,
  signingKeyFrom,
  signMessage,
  signRequest,
} from './signatures/sign.js';
export type {
  RequestSignerOptions,
  RequestToSign,
  SignatureHeaders,
  SigningKey,
  SignRequestOptions,
} from './signatures/sign.js';
export { InMemoryNonceCache } from './signatures/nonce-cache.js';
export type { NonceCache } from './signatures/nonce-cache.js';
export { InMemoryKeyRegistry } from './signatures/key-registry.js';
export type { KeyResolver, KeyStatus, ResolvedKey } from './signatures/key-registry.js';
export {
  DEFAULT_CLOCK_SKEW_SECONDS,
  DEFAULT_MAX_VALIDITY_SECONDS,
  replayedNonce,
  RequestVerifier,
} from './signatures/verify.js';
export type { VerifiedRequest, VerifierOptions, VerifyOptions } from './signatures/verify.js';
export { OUTBOX_KINDS } from './wire/wire.js';
export type * from './wire/wire.js';
