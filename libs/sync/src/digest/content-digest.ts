/**
 * Content-Digest (RFC 9530 §2) over the exact body bytes: `sha-256=:<base64>:`.
 * Signed requests cover this header, so the signature protects the body
 * through it. Other algorithms in a received header are ignored (RFC 9530 §2:
 * a recipient may pick the ones it supports); sha-256 must be there.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { parseDictionary } from '../structured-fields.js';
import type { Dictionary } from '../structured-fields.js';
import { SignatureError } from '../errors.js';

export const CONTENT_DIGEST_ALGORITHM = 'sha-256';
const SHA256_BYTES = 32;

/** Bodies are bytes; a string is taken as UTF-8. */
export type Body = Uint8Array | string;

export function bodyBytes(body: Body): Buffer {
  return typeof body === 'string'
    ? Buffer.from(body, 'utf8')
    : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** The Content-Digest header value for `body`. */
export function contentDigest(body: Body): string {
  return `${CONTENT_DIGEST_ALGORITHM}=:${createHash('sha256').update(bodyBytes(body)).digest('base64')}:`;
}

/**
 * Every algorithm → digest member of a Content-Digest value whose value is a byte
 * sequence; members of other shapes are dropped unless they claim sha-256.
 */
export function parseContentDigest(value: string): ReadonlyMap<string, Uint8Array> {
  let dictionary: Dictionary;
  try {
    dictionary = parseDictionary(value);
  } catch (error) {
    throw new SignatureError(
      'digest-mismatch',
      `Content-Digest is not a structured-field dictionary: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const digests = new Map<string, Uint8Array>();
  for (const [algorithm, member] of dictionary) {
    const bare = Array.isArray(member[0]) ? undefined : member[0];
    if (bare instanceof ArrayBuffer) {
      digests.set(algorithm, new Uint8Array(bare));
    } else if (algorithm === CONTENT_DIGEST_ALGORITHM) {
      throw new SignatureError(
        'digest-mismatch',
        'Content-Digest sha-256 member is not a byte sequence (:base64:)',
      );
    }
  }
  return digests;
}

/** Throws missing-digest or digest-mismatch unless `value` holds the sha-256 of `body`. */
export function verifyContentDigest(value: string | undefined, body: Body): void {
  if (value === undefined || value.trim() === '') {
    throw new SignatureError('missing-digest', 'the Content-Digest header is missing');
  }
  const claimed = parseContentDigest(value).get(CONTENT_DIGEST_ALGORITHM);
  if (claimed === undefined) {
    throw new SignatureError('missing-digest', 'Content-Digest has no sha-256 member');
  }
  if (claimed.length !== SHA256_BYTES) {
    throw new SignatureError(
      'digest-mismatch',
      `Content-Digest sha-256 is ${claimed.length} bytes, expected ${SHA256_BYTES}`,
    );
  }
  const actual = createHash('sha256').update(bodyBytes(body)).digest();
  if (!timingSafeEqual(actual, claimed)) {
    throw new SignatureError('digest-mismatch', 'Content-Digest sha-256 does not match the body');
  }
}
