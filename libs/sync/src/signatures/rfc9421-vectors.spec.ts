/**
 * Interoperability: RFC 9421 Appendix B.2.6 ("Signing a Request Using
 * ed25519") with the Appendix B.1.4 key test-key-ed25519, on the Appendix B.2
 * test request. Text copied from the RFC, line wrapping (RFC 8792) undone.
 */
import { createPrivateKey, createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  InMemoryNonceCache,
  parseSignatureFields,
  RequestVerifier,
  SignatureError,
  signatureBase,
  signMessage,
} from '#libs/sync';
import type { SignedMessage } from '#libs/sync';

const TEST_KEY_ED25519_PUBLIC = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----`;
const TEST_KEY_ED25519_PRIVATE = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----`;
/** The same key as the RFC's JWK form gives it (B.1.4). */
const TEST_KEY_ED25519_JWK_X = 'JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs';

/** B.2: POST /foo?param=Value&Pet=dog HTTP/1.1 to example.com. */
const TEST_REQUEST: SignedMessage & { body: string } = {
  method: 'POST',
  targetUri: 'https://example.com/foo?param=Value&Pet=dog',
  headers: {
    host: 'example.com',
    date: 'Tue, 20 Apr 2021 02:07:55 GMT',
    'content-type': 'application/json',
    'content-digest':
      'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
    'content-length': '18',
  },
  body: '{"hello": "world"}',
};

const B26_SIGNATURE_INPUT =
  'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"';
const B26_SIGNATURE =
  'sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:';
const B26_SIGNATURE_BASE = [
  '"date": Tue, 20 Apr 2021 02:07:55 GMT',
  '"@method": POST',
  '"@path": /foo',
  '"@authority": example.com',
  '"content-type": application/json',
  '"content-length": 18',
  '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
].join('\n');

const publicKey = createPublicKey(TEST_KEY_ED25519_PUBLIC);
const privateKey = createPrivateKey(TEST_KEY_ED25519_PRIVATE);

describe('RFC 9421 B.2.6 (ed25519)', () => {
  it('uses the key the RFC publishes', () => {
    expect(publicKey.export({ format: 'jwk' }).x).toBe(TEST_KEY_ED25519_JWK_X);
    expect(createPublicKey(privateKey).export({ format: 'jwk' }).x).toBe(TEST_KEY_ED25519_JWK_X);
  });

  it("rebuilds the RFC's signature base from its headers and request", () => {
    const parsed = parseSignatureFields(B26_SIGNATURE_INPUT, B26_SIGNATURE);
    expect(parsed.label).toBe('sig-b26');
    expect(parsed.params).toEqual({ created: 1618884473, keyid: 'test-key-ed25519' });
    expect(signatureBase(TEST_REQUEST, parsed.components, parsed.signatureParams)).toBe(B26_SIGNATURE_BASE);
  });

  it("verifies the RFC's signature with the RFC's public key", () => {
    const parsed = parseSignatureFields(B26_SIGNATURE_INPUT, B26_SIGNATURE, 'sig-b26');
    const base = signatureBase(TEST_REQUEST, parsed.components, parsed.signatureParams);
    expect(verify(null, Buffer.from(base), publicKey, parsed.signature)).toBe(true);
    const otherDate = {
      ...TEST_REQUEST,
      headers: { ...TEST_REQUEST.headers, date: 'Tue, 20 Apr 2021 02:07:56 GMT' },
    };
    const tamperedBase = signatureBase(otherDate, parsed.components, parsed.signatureParams);
    expect(verify(null, Buffer.from(tamperedBase), publicKey, parsed.signature)).toBe(false);
  });

  it("reproduces the RFC's Signature-Input and Signature byte for byte (Ed25519 is deterministic)", () => {
    const signed = signMessage(
      TEST_REQUEST,
      ['date', '@method', '@path', '@authority', 'content-type', 'content-length'],
      { created: 1618884473, keyid: 'test-key-ed25519' },
      privateKey,
      'sig-b26',
    );
    expect(signed.base).toBe(B26_SIGNATURE_BASE);
    expect(signed.signatureInput).toBe(B26_SIGNATURE_INPUT);
    expect(signed.signature).toBe(B26_SIGNATURE);
  });

  it('is refused by the Bulwark policy, which needs more than the example covers', async () => {
    const now = (): number => 1618884473_000;
    const verifier = new RequestVerifier({
      resolveKey: () => ({ publicKey, status: 'active', owner: 'rfc' }),
      nonces: new InMemoryNonceCache(now),
      now,
    });
    const refusal = await verifier
      .verify({
        ...TEST_REQUEST,
        headers: {
          ...TEST_REQUEST.headers,
          'signature-input': B26_SIGNATURE_INPUT,
          signature: B26_SIGNATURE,
        },
      })
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(SignatureError);
    expect((refusal as SignatureError).reason).toBe('missing-component');
    expect((refusal as SignatureError).message).toBe(
      'signature "sig-b26" does not cover "@target-uri", "content-digest"',
    );
  });

  it('verifies through RequestVerifier when the policy asks only for what the example covers, bar expires and nonce', async () => {
    // The example has neither expires nor nonce, which Bulwark requires; the refusal names the first one missing.
    const now = (): number => 1618884473_000;
    const verifier = new RequestVerifier({
      resolveKey: () => ({ publicKey, status: 'active', owner: 'rfc' }),
      nonces: new InMemoryNonceCache(now),
      now,
      requiredComponents: ['@method', '@path', '@authority'],
    });
    const refusal = await verifier
      .verify({
        ...TEST_REQUEST,
        headers: {
          ...TEST_REQUEST.headers,
          'signature-input': B26_SIGNATURE_INPUT,
          signature: B26_SIGNATURE,
        },
      })
      .catch((error: unknown) => error);
    expect((refusal as SignatureError).reason).toBe('malformed-signature');
    expect((refusal as SignatureError).message).toBe('signature "sig-b26" has no expires parameter');
  });
});
