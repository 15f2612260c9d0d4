import { describe, expect, it } from '@jest/globals';
import { contentDigest, signMessage } from '#libs/sync';
import type { SignedRequest } from '#libs/sync';
import {
  BODY,
  Clock,
  enrolled,
  expectRefusal,
  flipSignatureByte,
  KEY_A,
  KEY_B,
  signedPost,
  signerFor,
  T0_MS,
  T0_S,
  TARGET,
  withHeaders,
  world,
} from '../../test-support/signing-fixture.js';

describe('RequestVerifier refuses, with the reason', () => {
  it('missing-signature: no signature headers at all', async () => {
    const { verifier, request } = enrolled();
    const error = await expectRefusal(
      verifier.verify(withHeaders(request, { 'signature-input': undefined, signature: undefined })),
      'missing-signature',
    );
    expect(error.message).toBe('the request has no Signature-Input and no Signature header');
  });

  it('missing-signature: the Signature header alone is missing', async () => {
    const { verifier, request } = enrolled();
    await expectRefusal(verifier.verify(withHeaders(request, { signature: undefined })), 'missing-signature');
  });

  it('missing-signature: the two headers carry different labels', async () => {
    const { verifier, request } = enrolled();
    const relabelled = String(request.headers.signature).replace(/^sig1=/, 'sig9=');
    await expectRefusal(
      verifier.verify(withHeaders(request, { signature: relabelled })),
      'missing-signature',
    );
  });

  it.each([
    ['Signature-Input garbage', { 'signature-input': 'sig1=("@method" "@target-uri"' }],
    ['Signature garbage', { signature: 'sig1=:not base64!:' }],
    ['Signature as a string', { signature: 'sig1="abc"' }],
    ['Signature-Input as a single item', { 'signature-input': 'sig1="@method"' }],
  ])('malformed-signature: %s', async (_name, headers) => {
    const { verifier, request } = enrolled();
    await expectRefusal(verifier.verify(withHeaders(request, headers)), 'malformed-signature');
  });

  it('bad-signature: the method was changed', async () => {
    const { verifier, request } = enrolled();
    await expectRefusal(verifier.verify({ ...request, method: 'PUT' }), 'bad-signature');
  });

  it('bad-signature: the target URI was changed (path, query or host)', async () => {
    const { verifier, request } = enrolled();
    for (const targetUri of [
      TARGET.replace('ctl-1', 'ctl-2'),
      TARGET.replace('after=41', 'after=40'),
      TARGET.replace('cloud.example', 'evil.example'),
    ]) {
      await expectRefusal(verifier.verify({ ...request, targetUri }), 'bad-signature');
    }
  });

  it('digest-mismatch: the body was changed and the digest header left alone', async () => {
    const { verifier, request } = enrolled();
    await expectRefusal(
      verifier.verify({ ...request, body: BODY.replace('13.5', '31.5') }),
      'digest-mismatch',
    );
  });

  it('bad-signature: body and Content-Digest were changed together', async () => {
    const { verifier, request } = enrolled();
    const body = BODY.replace('13.5', '31.5');
    await expectRefusal(
      verifier.verify({ ...withHeaders(request, { 'content-digest': contentDigest(body) }), body }),
      'bad-signature',
    );
  });

  it('missing-digest: the Content-Digest header was dropped', async () => {
    const { verifier, request } = enrolled();
    await expectRefusal(
      verifier.verify(withHeaders(request, { 'content-digest': undefined })),
      'missing-digest',
    );
  });

  it('bad-signature: one bit of the signature flipped, or the signature cut short', async () => {
    const { verifier, request } = enrolled();
    const signature = String(request.headers.signature);
    await expectRefusal(
      verifier.verify(withHeaders(request, { signature: flipSignatureByte(signature) })),
      'bad-signature',
    );
    await expectRefusal(
      verifier.verify(withHeaders(request, { signature: `sig1=:${Buffer.alloc(32).toString('base64')}:` })),
      'bad-signature',
    );
  });

  it('bad-signature: Signature headers swapped between two genuine requests', async () => {
    const { verifier, request, signer } = enrolled();
    const other = signedPost(signer, `${BODY} `);
    expect(other.headers['signature-input']).not.toBe(request.headers['signature-input']);
    await expectRefusal(
      verifier.verify(withHeaders(request, { signature: String(other.headers.signature) })),
      'bad-signature',
    );
    await expectRefusal(
      verifier.verify(withHeaders(request, { 'signature-input': String(other.headers['signature-input']) })),
      'bad-signature',
    );
  });

  it('expired: received after expires plus the skew, accepted up to that instant', async () => {
    const late = enrolled();
    late.clock.ms = T0_MS + (60 + 60) * 1000 + 1;
    const error = await expectRefusal(late.verifier.verify(late.request), 'expired');
    expect(error.message).toBe(`signature expired at ${T0_S + 60}, 60 s ago (skew allowed 60 s)`);
    const edge = enrolled();
    edge.clock.ms = T0_MS + (60 + 60) * 1000;
    await expect(edge.verifier.verify(edge.request)).resolves.toMatchObject({ owner: 'ctl-1' });
  });

  it('not-yet-valid: created more than the skew ahead of the verifier, accepted at exactly the skew', async () => {
    const { verifier, registry } = world();
    registry.enrol(KEY_A.publicLine, 'ctl-1');
    const fast = signerFor(KEY_A, new Clock(T0_MS + 61_000));
    const error = await expectRefusal(verifier.verify(signedPost(fast, BODY)), 'not-yet-valid');
    expect(error.message).toBe(
      `created ${T0_S + 61} is 61 s ahead of the verifier's clock (skew allowed 60 s)`,
    );
    const atSkew = signerFor(KEY_A, new Clock(T0_MS + 60_000));
    await expect(verifier.verify(signedPost(atSkew, BODY))).resolves.toMatchObject({ owner: 'ctl-1' });
  });

  it('replayed-nonce: the same request twice; after the window the replay is expired instead', async () => {
    const { verifier, request, clock, nonces } = enrolled();
    await verifier.verify(request);
    await expectRefusal(verifier.verify(request), 'replayed-nonce');
    clock.ms = T0_MS + 120_000;
    await expectRefusal(verifier.verify(request), 'replayed-nonce');
    clock.ms = T0_MS + 120_001;
    await expectRefusal(verifier.verify(request), 'expired');
    expect(nonces.remember('probe', 'x', clock.ms)).toBe(true);
    expect(nonces.size).toBe(1);
  });

  it('a forged request does not use up the nonce of the genuine one', async () => {
    const { verifier, request } = enrolled();
    const forged = { ...request, body: `${BODY} ` };
    await expectRefusal(verifier.verify(forged), 'digest-mismatch');
    const badSig = withHeaders(request, { signature: flipSignatureByte(String(request.headers.signature)) });
    await expectRefusal(verifier.verify(badSig), 'bad-signature');
    await expect(verifier.verify(request)).resolves.toMatchObject({ owner: 'ctl-1' });
  });

  it('revoked-key and unknown-key', async () => {
    const revoked = enrolled();
    expect(revoked.registry.revoke(KEY_A.fingerprint)).toBe(true);
    const error = await expectRefusal(revoked.verifier.verify(revoked.request), 'revoked-key');
    expect(error.message).toBe(`key ${KEY_A.fingerprint} has been revoked`);
    const { verifier, clock } = world();
    const unknown = await expectRefusal(
      verifier.verify(signedPost(signerFor(KEY_B, clock), BODY)),
      'unknown-key',
    );
    expect(unknown.message).toBe(`key ${KEY_B.fingerprint} is not enrolled`);
  });

  it('missing-component: a signature that does not cover content-digest', async () => {
    const { verifier } = enrolled();
    const message = { method: 'POST', targetUri: TARGET, headers: {} };
    const signed = signMessage(
      message,
      ['@method', '@target-uri'],
      { created: T0_S, expires: T0_S + 60, nonce: 'n1', keyid: KEY_A.fingerprint, alg: 'ed25519' },
      KEY_A.signing.privateKey,
    );
    const error = await expectRefusal(
      verifier.verify({
        ...message,
        body: BODY,
        headers: {
          'signature-input': signed.signatureInput,
          signature: signed.signature,
          'content-digest': contentDigest(BODY),
        },
      }),
      'missing-component',
    );
    expect(error.message).toBe('signature "sig1" does not cover "content-digest"');
  });

  it('missing-component: a covered header that the request lacks', async () => {
    const { verifier } = enrolled();
    const headers = { 'content-digest': contentDigest(BODY), 'x-site': 'site-1' };
    const message = { method: 'POST', targetUri: TARGET, headers };
    const signed = signMessage(
      message,
      ['@method', '@target-uri', 'content-digest', 'x-site'],
      { created: T0_S, expires: T0_S + 60, nonce: 'n1', keyid: KEY_A.fingerprint },
      KEY_A.signing.privateKey,
    );
    const request: SignedRequest = {
      ...message,
      body: BODY,
      headers: {
        'content-digest': headers['content-digest'],
        'signature-input': signed.signatureInput,
        signature: signed.signature,
      },
    };
    const error = await expectRefusal(verifier.verify(request), 'missing-component');
    expect(error.message).toBe('covered header "x-site" is missing from the request');
    await expect(
      verifier.verify({ ...request, headers: { ...request.headers, 'X-Site': 'site-1' } }),
    ).resolves.toMatchObject({
      owner: 'ctl-1',
    });
  });

  it.each([
    [{ nonce: undefined }, 'signature "sig1" has no nonce parameter'],
    [{ created: undefined }, 'signature "sig1" has no created parameter'],
    [{ expires: undefined }, 'signature "sig1" has no expires parameter'],
    [{ keyid: undefined }, 'signature "sig1" has no keyid parameter'],
    [{ alg: 'rsa-pss-sha512' }, 'alg "rsa-pss-sha512" is not supported; use "ed25519"'],
    [{ expires: T0_S + 301 }, 'validity of 301 s exceeds the 300 s allowed'],
    [{ expires: T0_S }, `expires (${T0_S}) is not after created (${T0_S})`],
    [{ nonce: '' }, 'nonce must be 1 to 128 characters'],
  ])('malformed-signature: parameters %j', async (change, message) => {
    const { verifier } = enrolled();
    const base = { method: 'POST', targetUri: TARGET, headers: { 'content-digest': contentDigest(BODY) } };
    const params = {
      created: T0_S,
      expires: T0_S + 60,
      nonce: 'n1',
      keyid: KEY_A.fingerprint,
      alg: 'ed25519',
      ...change,
    };
    const signed = signMessage(
      base,
      ['@method', '@target-uri', 'content-digest'],
      params,
      KEY_A.signing.privateKey,
    );
    const error = await expectRefusal(
      verifier.verify({
        ...base,
        body: BODY,
        headers: { ...base.headers, 'signature-input': signed.signatureInput, signature: signed.signature },
      }),
      'malformed-signature',
    );
    expect(error.message).toBe(message);
  });

  it('malformed-signature: a signature covering a component this library cannot derive', async () => {
    const { verifier } = enrolled();
    const input = `sig1=("@method" "@target-uri" "content-digest" "@query-param");created=${T0_S};expires=${T0_S + 60};nonce="n";keyid="${KEY_A.fingerprint}"`;
    const request = signedPost(signerFor(KEY_A, new Clock()), BODY);
    const error = await expectRefusal(
      verifier.verify(withHeaders(request, { 'signature-input': input })),
      'malformed-signature',
    );
    expect(error.message).toBe('derived component "@query-param" is not supported');
  });
});
