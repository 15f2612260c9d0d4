import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { InMemoryNonceCache } from '#libs/sync';

describe('InMemoryNonceCache', () => {
  it('remembers a nonce up to and including its until, then forgets it', () => {
    let now = 1_000;
    const cache = new InMemoryNonceCache(() => now);
    expect(cache.remember('k1', 'n1', 5_000)).toBe(true);
    expect(cache.remember('k1', 'n1', 9_000)).toBe(false);
    now = 5_000;
    expect(cache.remember('k1', 'n1', 9_000)).toBe(false);
    now = 5_001;
    expect(cache.remember('k1', 'n1', 9_000)).toBe(true);
    expect(cache.size).toBe(1);
  });

  it('keeps nonces of different keys apart', () => {
    const cache = new InMemoryNonceCache(() => 0);
    expect(cache.remember('k1', 'n1', 10)).toBe(true);
    expect(cache.remember('k2', 'n1', 10)).toBe(true);
    expect(cache.remember('k1', 'n1', 10)).toBe(false);
  });

  it('shrinks back to nothing once every window has passed', () => {
    let now = 0;
    const cache = new InMemoryNonceCache(() => now);
    for (let i = 0; i < 1_000; i++) cache.remember('k', `n${i}`, 100 + ((i * 7919) % 1_000));
    expect(cache.size).toBe(1_000);
    now = 600;
    cache.remember('k', 'probe', 2_000);
    expect(cache.size).toBeLessThan(1_000);
    expect(cache.size).toBeGreaterThan(1);
    now = 1_100;
    cache.remember('k', 'last', 1_100);
    expect(cache.size).toBe(2);
  });

  it('answers like a list that is searched in full every time', () => {
    const op = fc.record({
      advance: fc.integer({ min: 0, max: 50 }),
      key: fc.constantFrom('a', 'b'),
      nonce: fc.constantFrom('n1', 'n2', 'n3', 'n4'),
      ttl: fc.integer({ min: 0, max: 120 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        let now = 0;
        const cache = new InMemoryNonceCache(() => now);
        const model: { key: string; nonce: string; until: number }[] = [];
        for (const { advance, key, nonce, ttl } of ops) {
          now += advance;
          const live = model.filter((entry) => entry.until >= now);
          const fresh = !live.some((entry) => entry.key === key && entry.nonce === nonce);
          if (fresh) live.push({ key, nonce, until: now + ttl });
          model.splice(0, model.length, ...live);
          expect(cache.remember(key, nonce, now + ttl)).toBe(fresh);
          expect(cache.size).toBe(model.length);
        }
      }),
    );
  });
});
