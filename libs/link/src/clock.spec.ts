/** The fake clock the link tests stand on, and the real one's timer. */
import { describe, expect, it } from '@jest/globals';
import { FakeClock, systemLinkClock } from './index.js';

describe('FakeClock', () => {
  it('fires timers at their due time, in due order, then creation order', () => {
    const clock = new FakeClock(100);
    const fired: Array<[string, number]> = [];
    clock.setTimeout(() => fired.push(['b', clock.now()]), 50);
    clock.setTimeout(() => fired.push(['a', clock.now()]), 10);
    clock.setTimeout(() => fired.push(['c', clock.now()]), 50);
    clock.advance(49);
    expect(fired).toEqual([['a', 110]]);
    expect(clock.now()).toBe(149);
    clock.advance(1);
    expect(fired).toEqual([
      ['a', 110],
      ['b', 150],
      ['c', 150],
    ]);
  });

  it('fires timers set by timers within the same advance, and not cancelled ones', () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    const cancelled = clock.setTimeout(() => fired.push(-1), 5);
    clock.setTimeout(() => clock.setTimeout(() => fired.push(clock.now()), 10), 10);
    clock.clearTimeout(cancelled);
    clock.advance(100);
    expect(fired).toEqual([20]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('refuses to go back', () => {
    const clock = new FakeClock(10);
    expect(() => clock.advanceTo(5)).toThrow(RangeError);
  });
});

describe('systemLinkClock', () => {
  it('tells epoch ms and runs a real timer once', async () => {
    const before = Date.now();
    expect(systemLinkClock.now()).toBeGreaterThanOrEqual(before);
    const fired = await new Promise<number>((resolve) => {
      systemLinkClock.setTimeout(() => resolve(Date.now()), 5);
    });
    expect(fired - before).toBeGreaterThanOrEqual(4);
  });

  it('cancels a timer', async () => {
    let fired = false;
    systemLinkClock.clearTimeout(systemLinkClock.setTimeout(() => (fired = true), 1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fired).toBe(false);
  });
});
