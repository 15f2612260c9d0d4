import { describe, expect, it } from '@jest/globals';
import { parsePublicKey, replayedNonce, RequestVerifier, signRequest } from '#libs/sync';
import type { SignedRequest } from '#libs/sync';
import {
  BODY,
  Clock,
  enrolled,
  expectRefusal,
  KEY_A,
  KEY_B,
  signedPost,
  signerFor,
  T0_S,
  TARGET,
  world,
} from '../../test-support/signing-fixture.js';

describe('RequestVerifier accepts', () => {
  it('a request its signer signed, naming the key and its owner', async () => {
    const { verifier, request } = enrolled();
    await expect(verifier.verify(request)).resolves.toEqual({
      keyId: KEY_A.fingerprint,
      owner: 'ctl-1',
      label: 'sig1',
      created: T0_S,
      expires: T0_S + 60,
      nonce: expect.any(String),
      // expires + the 60 s skew: the last instant the signature passes, so the nonce's lifetime.
      nonceUntilMs: (T0_S + 60 + 60) * 1000,
      components: ['@method', '@target-uri', 'content-digest'],
    });
  });

  it('with deferNonce, every check but the nonce: the caller records it (in its own transaction)', async () => {
    const { verifier, request, nonces } = enrolled();
    const first = await verifier.verify(request, { deferNonce: true });
    // Not recorded: the same request passes again, until the caller records the nonce.
    await expect(verifier.verify(request, { deferNonce: true })).resolves.toMatchObject({ owner: 'ctl-1' });
    expect(nonces.size).toBe(0);
    expect(nonces.remember(first.keyId, first.nonce, first.nonceUntilMs)).toBe(true);
    await expectRefusal(verifier.verify(request), 'replayed-nonce');
    // A refusal is still a refusal: the deferral skips only the nonce.
    await expectRefusal(
      verifier.verify({ ...request, body: `${BODY} ` }, { deferNonce: true }),
      'digest-mismatch',
    );
    const replay = replayedNonce(first.keyId, first.nonce);
    expect(replay).toMatchObject({ reason: 'replayed-nonce' });
    expect(replay.message).toBe(`nonce "${first.nonce}" of key ${KEY_A.fingerprint} was already used`);
  });

  it('headers in any letter case and as repeated field lines', async () => {
    const { verifier, request } = enrolled();
    const h = request.headers;
    const [first, second] = (h['signature-input'] as string).split(';created');
    const recased: SignedRequest = {
      ...request,
      headers: {
        'Content-Digest': h['content-digest'],
        'SIGNATURE-INPUT': [first, `;created${second}`].join(''),
        Signature: [String(h.signature)],
      },
    };
    await expect(verifier.verify(recased)).resolves.toMatchObject({ owner: 'ctl-1' });
  });

  it('a body given as bytes or as the same text', async () => {
    const { verifier, request } = enrolled();
    await expect(verifier.verify({ ...request, body: Buffer.from(BODY) })).resolves.toMatchObject({
      owner: 'ctl-1',
    });
  });

  it('two active keys of one controller during rotation', async () => {
    const { verifier, registry, clock } = world();
    registry.enrol(KEY_A.publicLine, 'ctl-1');
    registry.enrol(KEY_B.publicLine, 'ctl-1');
    const signerA = signerFor(KEY_A, clock);
    const signerB = signerFor(KEY_B, clock);
    const byA = await verifier.verify(signedPost(signerA, BODY));
    const byB = await verifier.verify(signedPost(signerB, BODY));
    expect([byA.owner, byA.keyId]).toEqual(['ctl-1', KEY_A.fingerprint]);
    expect([byB.owner, byB.keyId]).toEqual(['ctl-1', KEY_B.fingerprint]);
    expect(KEY_A.fingerprint).not.toBe(KEY_B.fingerprint);
    registry.revoke(KEY_A.fingerprint);
    await expectRefusal(verifier.verify(signedPost(signerA, BODY)), 'revoked-key');
    await expect(verifier.verify(signedPost(signerB, BODY))).resolves.toMatchObject({
      keyId: KEY_B.fingerprint,
    });
  });

  it('the signature chosen by label when a request carries two', async () => {
    const w = world({ label: 'sig2' });
    w.registry.enrol(KEY_B.publicLine, 'ctl-2');
    const one = signRequest(
      { method: 'POST', targetUri: TARGET, body: BODY },
      { key: KEY_A.signing, created: T0_S, expires: T0_S + 30, nonce: 'n-a', label: 'sig1' },
    );
    const two = signRequest(
      { method: 'POST', targetUri: TARGET, body: BODY },
      { key: KEY_B.signing, created: T0_S, expires: T0_S + 30, nonce: 'n-b', label: 'sig2' },
    );
    const request: SignedRequest = {
      method: 'POST',
      targetUri: TARGET,
      body: BODY,
      headers: {
        'content-digest': one['content-digest'],
        'signature-input': `${one['signature-input']}, ${two['signature-input']}`,
        signature: `${one.signature}, ${two.signature}`,
      },
    };
    await expect(w.verifier.verify(request)).resolves.toMatchObject({ owner: 'ctl-2', label: 'sig2' });
    const unlabelled = world();
    unlabelled.registry.enrol(KEY_B.publicLine, 'ctl-2');
    const error = await expectRefusal(unlabelled.verifier.verify(request), 'malformed-signature');
    expect(error.message).toBe('Signature-Input carries 2 signatures (sig1, sig2); expected exactly one');
  });
});

describe('RequestVerifier options', () => {
  it('refuse a negative skew or a zero validity', () => {
    expect(() => world({ clockSkewSeconds: -1 })).toThrow('clockSkewSeconds must be a number >= 0, got -1');
    expect(() => world({ maxValiditySeconds: 0 })).toThrow(
      'maxValiditySeconds must be a positive integer, got 0',
    );
  });

  it('await an asynchronous key resolver and nonce store', async () => {
    const clock = new Clock();
    const seen = new Set<string>();
    const verifier = new RequestVerifier<string>({
      now: clock.now,
      resolveKey: (keyId) =>
        Promise.resolve(
          keyId === KEY_A.fingerprint
            ? {
                publicKey: parsePublicKey(KEY_A.publicLine).keyObject,
                status: 'active' as const,
                owner: 'db-ctl',
              }
            : undefined,
        ),
      nonces: {
        remember: (keyId, nonce) => {
          const fresh = !seen.has(`${keyId} ${nonce}`);
          seen.add(`${keyId} ${nonce}`);
          return Promise.resolve(fresh);
        },
      },
    });
    const request = signedPost(signerFor(KEY_A, clock), BODY);
    await expect(verifier.verify(request)).resolves.toMatchObject({ owner: 'db-ctl' });
    await expectRefusal(verifier.verify(request), 'replayed-nonce');
  });
});
