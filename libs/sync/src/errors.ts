/**
 * Typed failures of signed requests. The cloud maps every SignatureError to a
 * 401 problem-details body whose reason is `reason` (DESIGN.md point 7), so the
 * codes are part of the wire contract: add codes, never rename them.
 */

export const SIGNATURE_FAILURE_REASONS = [
  'missing-signature',
  'malformed-signature',
  'unknown-key',
  'revoked-key',
  'bad-signature',
  'digest-mismatch',
  'missing-digest',
  'expired',
  'not-yet-valid',
  'replayed-nonce',
  'missing-component',
] as const;

export type SignatureFailureReason = (typeof SIGNATURE_FAILURE_REASONS)[number];

/** A request whose signature cannot be accepted; the message names what was wrong, `reason` is stable. */
export class SignatureError extends Error {
  override readonly name = 'SignatureError';

  constructor(
    readonly reason: SignatureFailureReason,
    message: string,
  ) {
    super(message);
  }
}

/** A key text that is not a usable OpenSSH Ed25519 key; the message says which part is wrong. */
export class KeyFormatError extends Error {
  override readonly name = 'KeyFormatError';
}
