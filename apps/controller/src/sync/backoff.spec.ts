/** Full jitter: every delay within [0, min(cap, base·2^n)), the window doubling per failure and reset by a success. */
import { describe, expect, it } from '@jest/globals';
import { Backoff, BACKOFF_BASE_MS, BACKOFF_CAP_MS } from './backoff.js';

describe('Backoff', () => {
  it('defaults to base 250 ms and cap 30 s', () => {
    expect([BACKOFF_BASE_MS, BACKOFF_CAP_MS]).toEqual([250, 30_000]);
  });

  it('draws each delay uniformly below a ceiling that doubles up to the cap', () => {
    const highest = new Backoff({ random: () => 0.999999 });
    const lowest = new Backoff({ random: () => 0 });
    const ceilings: number[] = [];
    const highs: number[] = [];
    for (let i = 0; i < 12; i++) {
      ceilings.push(highest.ceilingMs);
      highs.push(highest.next());
      expect(lowest.next()).toBe(0);
    }
    expect(ceilings).toEqual([250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000, 30000]);
    highs.forEach((delay, i) => {
      expect(delay).toBeLessThan(ceilings[i]);
      expect(delay).toBeGreaterThanOrEqual(ceilings[i] - 1);
    });
  });

  it('spreads delays over the whole window (not a fixed fraction of it)', () => {
    let seed = 42;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const delays: number[] = [];
    for (let i = 0; i < 400; i++) {
      const b = new Backoff({ random });
      for (let n = 0; n < 6; n++) b.next(); // window 250·2^6 = 16 000 ms
      delays.push(b.next());
    }
    expect(Math.min(...delays)).toBeLessThan(1600);
    expect(Math.max(...delays)).toBeGreaterThan(14_400);
    expect(Math.max(...delays)).toBeLessThan(16_000);
  });

  it('starts again from the base after a reset, and stays finite after many failures', () => {
    const b = new Backoff({ random: () => 0.5 });
    for (let i = 0; i < 1000; i++) b.next();
    expect(b.ceilingMs).toBe(30_000);
    expect(b.failures).toBe(1000);
    b.reset();
    expect(b.ceilingMs).toBe(250);
    expect(b.next()).toBe(125);
  });
});
