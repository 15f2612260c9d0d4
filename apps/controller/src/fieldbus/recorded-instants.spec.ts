/**
 * One point's recorded instants: each instant once in any arrival order, within the
 * REMEMBERED newest; anything older is recorded rather than lost.
 */
import { describe, expect, it } from '@jest/globals';
import { RecordedInstants, REMEMBERED } from './recorded-instants.js';

/** A seeded generator, so a failure replays. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('RecordedInstants', () => {
  it('records new instants and drops repeats, in order and out of order', () => {
    const r = new RecordedInstants();
    expect([10, 20, 20, 15, 15, 10, 5, 30, 5].map((at) => r.add(at))).toEqual([
      true,
      true,
      false,
      true,
      false,
      false,
      true,
      true,
      false,
    ]);
  });

  it('matches an exact set of recorded instants whenever the instant is among the newest remembered', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const rnd = lcg(seed);
      const r = new RecordedInstants();
      const recorded: number[] = [];
      let now = 0;
      for (let step = 0; step < 400; step++) {
        now += Math.floor(rnd() * 3);
        // Mostly now, sometimes late by up to 40 ticks (a push behind newer polls), sometimes a repeat.
        const late = rnd() < 0.4 ? Math.floor(rnd() * 40) : 0;
        const at = now - late;
        const newest = [...recorded].sort((a, b) => b - a).slice(0, REMEMBERED);
        const within = newest.length < REMEMBERED || at >= newest[newest.length - 1];
        const expected = within ? !recorded.includes(at) : true;
        expect({ seed, step, at, added: r.add(at) }).toEqual({ seed, step, at, added: expected });
        if (expected) recorded.push(at);
      }
    }
  });

  it('records a reading older than every remembered instant rather than lose it (a clock set back)', () => {
    const r = new RecordedInstants();
    for (let at = 1000; at < 1000 + REMEMBERED; at++) r.add(at);
    expect(r.add(10)).toBe(true);
    expect(r.add(11)).toBe(true);
    // The newest are still remembered exactly.
    expect(r.add(1000 + REMEMBERED - 1)).toBe(false);
    expect(r.add(1000)).toBe(false);
  });
});
