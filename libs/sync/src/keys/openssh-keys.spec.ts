import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { fingerprintOf, generateKeyPair, KeyFormatError, parsePrivateKey, parsePublicKey } from '#libs/sync';

const FIXTURES = join(import.meta.dirname, '../../fixtures/keys');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

/** What `ssh-keygen -lf` printed for the fixture: `256 SHA256:… comment (ED25519)`. */
const keygenLine = fixture('ed25519-fixture.fingerprint').trim().split(' ');

/** Independent of sshpk: SHA-256 over the key blob, base64 without padding (ssh-keygen's format). */
function referenceFingerprint(line: string): string {
  const blob = Buffer.from(line.trim().split(/\s+/)[1], 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

// RFC 8032 §7.1 TEST 1: this secret key has this public key.
const RFC8032_SECRET = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
const RFC8032_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';

describe('SHA256 fingerprints', () => {
  it('match what ssh-keygen -lf printed for a key ssh-keygen made', () => {
    const key = parsePublicKey(fixture('ed25519-fixture.pub'));
    expect(keygenLine[0]).toBe('256');
    expect(key.fingerprint).toBe(keygenLine[1]);
    expect(key.comment).toBe('bulwark-fixture@example');
    expect(keygenLine[3]).toBe('(ED25519)');
    expect(fingerprintOf(fixture('ed25519-fixture.pub'))).toBe(keygenLine[1]);
  });

  it('are base64 without padding of SHA-256 over the key blob', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
        const pair = generateKeyPair({ randomBytes: () => seed });
        expect(pair.fingerprint).toBe(referenceFingerprint(pair.publicKey));
        expect(pair.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
      }),
      { numRuns: 50 },
    );
  });
});

describe('parsing keys ssh-keygen wrote', () => {
  it('reads the private key and signs what its public half verifies', () => {
    const privateKey = parsePrivateKey(fixture('ed25519-fixture'));
    const publicKey = parsePublicKey(fixture('ed25519-fixture.pub'));
    expect(privateKey.fingerprint).toBe(keygenLine[1]);
    expect(privateKey.comment).toBe('bulwark-fixture@example');
    expect(privateKey.publicKey.openssh).toBe(fixture('ed25519-fixture.pub').trim());
    const signature = sign(null, Buffer.from('batch 42'), privateKey.keyObject);
    expect(verify(null, Buffer.from('batch 42'), publicKey.keyObject, signature)).toBe(true);
    expect(verify(null, Buffer.from('batch 43'), publicKey.keyObject, signature)).toBe(false);
  });
});

describe('generateKeyPair', () => {
  it('writes an OpenSSH private key PEM and an ssh-ed25519 line with the comment', () => {
    const pair = generateKeyPair({ comment: 'bulwark-controller@site-1' });
    expect(pair.privateKey).toMatch(
      /^-----BEGIN OPENSSH PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END OPENSSH PRIVATE KEY-----\n$/,
    );
    expect(pair.publicKey).toMatch(
      /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} bulwark-controller@site-1$/,
    );
    const privateKey = parsePrivateKey(pair.privateKey);
    const publicKey = parsePublicKey(pair.publicKey);
    expect(privateKey.fingerprint).toBe(pair.fingerprint);
    expect(publicKey.fingerprint).toBe(pair.fingerprint);
    expect(publicKey.openssh).toBe(pair.publicKey);
    expect(privateKey.comment).toBe('bulwark-controller@site-1');
  });

  it('takes its seed from the injected randomness (RFC 8032 test 1)', () => {
    const pair = generateKeyPair({ randomBytes: () => RFC8032_SECRET });
    expect(Buffer.from(parsePublicKey(pair.publicKey).raw).toString('hex')).toBe(RFC8032_PUBLIC);
    expect(pair.publicKey).not.toMatch(/ $/);
    const again = generateKeyPair({ randomBytes: () => RFC8032_SECRET });
    expect(again.fingerprint).toBe(pair.fingerprint);
  });

  it('round-trips every seed, leading zero bytes included, into matching KeyObjects', () => {
    const seeds = fc.oneof(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 31, maxLength: 31 }).map((tail) => Uint8Array.of(0, ...tail)),
    );
    fc.assert(
      fc.property(seeds, (seed) => {
        const pair = generateKeyPair({ randomBytes: () => seed });
        const privateKey = parsePrivateKey(pair.privateKey);
        const reference = createPrivateKey({
          key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
          format: 'der',
          type: 'pkcs8',
        });
        const expectedX = createPublicKey(reference).export({ format: 'jwk' }).x;
        expect(Buffer.from(privateKey.publicKey.raw).toString('base64url')).toBe(expectedX);
        const message = Buffer.from(seed);
        expect(sign(null, message, privateKey.keyObject)).toEqual(sign(null, message, reference));
      }),
      { numRuns: 40 },
    );
  });

  it('refuses randomness of the wrong size', () => {
    expect(() => generateKeyPair({ randomBytes: () => new Uint8Array(16) })).toThrow(
      new KeyFormatError('randomBytes(32) returned 16 bytes'),
    );
  });
});

describe('bad key text', () => {
  const pub = fixture('ed25519-fixture.pub').trim();
  it.each([
    ['an RSA public key', fixture('rsa-not-ed25519.pub'), /only ed25519 keys are accepted, got rsa/],
    ['an ECDSA public key', fixture('ecdsa-not-ed25519.pub'), /only ed25519 keys are accepted, got ecdsa/],
    ['an empty text', '  \n', /public key: empty text/],
    ['two key lines', `${pub}\n${pub}`, /exactly one key line/],
    ['a truncated key', pub.slice(0, 40), /not an OpenSSH public key line/],
    ['garbage', 'hello world', /not an OpenSSH public key line/],
    ['a private key', fixture('ed25519-fixture'), /exactly one key line/],
  ])('refuses %s as a public key', (_name, text, message) => {
    expect(() => parsePublicKey(text)).toThrow(KeyFormatError);
    expect(() => parsePublicKey(text)).toThrow(message);
  });

  it.each([
    ['a passphrase-protected key', fixture('ed25519-encrypted-passphrase'), /encrypted with a passphrase/],
    ['an ECDSA private key', fixture('ecdsa-not-ed25519'), /only ed25519 keys are accepted, got ecdsa/],
    ['a public key', pub, /not an OpenSSH private key/],
    ['an empty text', '', /private key: empty text/],
    [
      'a truncated key',
      fixture('ed25519-fixture').split('\n').slice(0, 3).join('\n'),
      /not an OpenSSH private key/,
    ],
  ])('refuses %s as a private key', (_name, text, message) => {
    expect(() => parsePrivateKey(text)).toThrow(KeyFormatError);
    expect(() => parsePrivateKey(text)).toThrow(message);
  });
});
