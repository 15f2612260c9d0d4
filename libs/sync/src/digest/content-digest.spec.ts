import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { contentDigest, parseContentDigest, SignatureError, verifyContentDigest } from '#libs/sync';
import type { SignatureFailureReason } from '#libs/sync';

// RFC 9530 §2 example: the body {"hello": "world"} and its sha-256 Content-Digest.
const RFC9530_BODY = '{"hello": "world"}';
const RFC9530_SHA256 = 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:';

function reasonOf(fn: () => void): SignatureFailureReason | 'accepted' {
  try {
    fn();
    return 'accepted';
  } catch (error) {
    if (error instanceof SignatureError) return error.reason;
    throw error;
  }
}

describe('contentDigest', () => {
  it('reproduces the RFC 9530 example', () => {
    expect(contentDigest(RFC9530_BODY)).toBe(RFC9530_SHA256);
    expect(contentDigest(Buffer.from(RFC9530_BODY))).toBe(RFC9530_SHA256);
  });

  it('digests exactly the bytes of a view into a larger buffer', () => {
    const backing = Buffer.from(`xx${RFC9530_BODY}yy`);
    expect(contentDigest(backing.subarray(2, 2 + RFC9530_BODY.length))).toBe(RFC9530_SHA256);
  });

  it('digests the empty body', () => {
    expect(contentDigest('')).toBe('sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:');
  });
});

describe('verifyContentDigest', () => {
  it('accepts the sha-256 member among unknown algorithms', () => {
    expect(reasonOf(() => verifyContentDigest(`unixsum=:AAAA:, ${RFC9530_SHA256}`, RFC9530_BODY))).toBe(
      'accepted',
    );
    expect(reasonOf(() => verifyContentDigest(`${RFC9530_SHA256}, md5=?1`, RFC9530_BODY))).toBe('accepted');
    expect(parseContentDigest(`md5=?1, ${RFC9530_SHA256}`).has('md5')).toBe(false);
  });

  it.each([
    ['no header', undefined, 'missing-digest'],
    ['an empty header', ' ', 'missing-digest'],
    [
      'only sha-512',
      'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
      'missing-digest',
    ],
    ['the digest of another body', contentDigest('{"hello": "World"}'), 'digest-mismatch'],
    ['a truncated digest', 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDU:', 'digest-mismatch'],
    ['sha-256 as a token', 'sha-256=X48E9q', 'digest-mismatch'],
    ['sha-256 as a string', 'sha-256="X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="', 'digest-mismatch'],
    ['garbage', 'sha-256=:::', 'digest-mismatch'],
    ['bare base64', 'X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=', 'digest-mismatch'],
  ])('refuses %s', (_name, header, reason) => {
    expect(reasonOf(() => verifyContentDigest(header, RFC9530_BODY))).toBe(reason);
  });

  it('refuses any body that differs from the digested one by one byte', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 256 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (body, at, flip) => {
          const header = contentDigest(body);
          expect(reasonOf(() => verifyContentDigest(header, body))).toBe('accepted');
          const tampered = Uint8Array.from(body);
          tampered[at % body.length] ^= flip;
          expect(reasonOf(() => verifyContentDigest(header, tampered))).toBe('digest-mismatch');
        },
      ),
    );
  });
});
