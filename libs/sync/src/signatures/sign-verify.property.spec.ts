import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { RequestSigner } from '#libs/sync';
import type { SignatureFailureReason, SignedRequest } from '#libs/sync';
import { Clock, controllerKey, counterRandom, T0_MS, world } from '../../test-support/signing-fixture.js';

const KEY = controllerKey(7);

const requests = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
  path: fc
    .array(fc.stringMatching(/^[a-z0-9._~-]{1,12}$/), { maxLength: 5 })
    .map((parts) => `/${parts.join('/')}`),
  query: fc.option(fc.stringMatching(/^[a-z]{1,5}=[a-z0-9%]{0,8}$/), { nil: undefined }),
  body: fc.oneof(fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 300 })),
});

/** Signs with a signer whose clock is `offsetMs` away from the verifier's; returns the outcome. */
async function outcome(
  input: { method: string; path: string; query?: string; body: string | Uint8Array },
  offsetMs: number,
  tamper: (request: SignedRequest) => SignedRequest = (request) => request,
): Promise<SignatureFailureReason | 'accepted'> {
  const w = world();
  w.registry.enrol(KEY.publicLine, 'ctl');
  const signer = new RequestSigner({
    key: KEY.signing,
    now: new Clock(T0_MS + offsetMs).now,
    randomBytes: counterRandom(),
  });
  const targetUri = `https://cloud.example:8443${input.path}${input.query === undefined ? '' : `?${input.query}`}`;
  const headers = signer.sign({ method: input.method, targetUri, body: input.body });
  const request = tamper({ method: input.method, targetUri, body: input.body, headers });
  return w.verifier.verify(request).then(
    () => 'accepted' as const,
    (error: { reason: SignatureFailureReason }) => error.reason,
  );
}

describe('sign then verify', () => {
  it('accepts every request signed within ±60 s of the verifier clock (no false rejects)', async () => {
    await fc.assert(
      fc.asyncProperty(requests, fc.integer({ min: -60_000, max: 60_999 }), async (input, offsetMs) => {
        expect(await outcome(input, offsetMs)).toBe('accepted');
      }),
      { numRuns: 150 },
    );
  });

  it('refuses a signer clock more than the skew ahead, or so far behind that the signature has expired', async () => {
    await fc.assert(
      fc.asyncProperty(requests, fc.integer({ min: 61_000, max: 3_600_000 }), async (input, offsetMs) => {
        expect(await outcome(input, offsetMs)).toBe('not-yet-valid');
        // created + 60 s validity + 60 s skew must be behind the verifier for "expired".
        expect(await outcome(input, -offsetMs - 60_000)).toBe('expired');
      }),
      { numRuns: 50 },
    );
  });

  it('refuses any changed byte of the body as digest-mismatch', async () => {
    await fc.assert(
      fc.asyncProperty(
        requests.filter((input) => input.body.length > 0),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (input, at, flip) => {
          const tampered = Buffer.from(input.body);
          tampered[at % tampered.length] ^= flip;
          expect(await outcome(input, 0, (request) => ({ ...request, body: tampered }))).toBe(
            'digest-mismatch',
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses any changed byte of the signature, the method or the target URI as bad-signature', async () => {
    await fc.assert(
      fc.asyncProperty(
        requests,
        fc.integer({ min: 0, max: 63 }),
        fc.integer({ min: 1, max: 255 }),
        async (input, at, flip) => {
          const flipSignature = (request: SignedRequest): SignedRequest => {
            const value = String(request.headers.signature);
            const bytes = Buffer.from(value.slice('sig1=:'.length, -1), 'base64');
            bytes[at] ^= flip;
            return {
              ...request,
              headers: { ...request.headers, signature: `sig1=:${bytes.toString('base64')}:` },
            };
          };
          expect(await outcome(input, 0, flipSignature)).toBe('bad-signature');
          expect(
            await outcome(input, 0, (r) => ({ ...r, method: r.method === 'GET' ? 'HEAD' : 'GET' })),
          ).toBe('bad-signature');
          expect(await outcome(input, 0, (r) => ({ ...r, targetUri: `${r.targetUri}x` }))).toBe(
            'bad-signature',
          );
        },
      ),
      { numRuns: 100 },
    );
  });
});
