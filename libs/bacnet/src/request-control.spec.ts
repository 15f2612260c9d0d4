import { describe, expect, it } from '@jest/globals';
import { InvokeIdPool, PerKeyLimiter, TimeoutSignal, raceTimeout } from './request-control.js';
import { RequestTable } from './request-table.js';

describe('InvokeIdPool', () => {
  it('never hands out an id in use, and waits when all 255 are', async () => {
    const pool = new InvokeIdPool();
    const ids = await Promise.all(Array.from({ length: 255 }, () => pool.acquire()));
    expect(new Set(ids).size).toBe(255);
    expect(ids).not.toContain(0);
    let got: number | undefined;
    const waiting = pool.acquire().then((id) => (got = id));
    await Promise.resolve();
    expect(got).toBeUndefined();
    pool.release(42);
    await waiting;
    expect(got).toBe(42);
  });

  it('hands out the least recently used id next and keeps quarantined ids back', async () => {
    const pool = new InvokeIdPool();
    const a = await pool.acquire();
    pool.release(a, 10_000);
    const next = await Promise.all(Array.from({ length: 254 }, () => pool.acquire()));
    expect(next).not.toContain(a);
    expect(pool.inUse).toBe(255);
  });
});

describe('PerKeyLimiter', () => {
  it('runs at most `limit` tasks per key and never blocks other keys', async () => {
    const limiter = new PerKeyLimiter(2);
    let active = 0;
    let peak = 0;
    const gates: (() => void)[] = [];
    const task = () =>
      limiter.run('a', async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise<void>((r) => gates.push(r));
        active--;
      });
    const all = [task(), task(), task(), task()];
    await new Promise((r) => setTimeout(r, 5));
    expect(limiter.queued('a')).toBe(2);
    expect(await limiter.run('b', () => Promise.resolve('free'))).toBe('free');
    while (gates.length) {
      gates.shift()!();
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(all);
    expect(peak).toBe(2);
  });
});

describe('raceTimeout', () => {
  it('rejects with TimeoutSignal when the promise never settles', async () => {
    await expect(raceTimeout(new Promise(() => undefined), 20)).rejects.toBeInstanceOf(TimeoutSignal);
    await expect(raceTimeout(Promise.resolve(3), 20)).resolves.toBe(3);
  });
});

describe('RequestTable (replaces the library request manager, STACK.md trap 1)', () => {
  it('lets an expiring request remove only itself, not a newer one on the same id', async () => {
    const t = new RequestTable(30);
    const old = t.add(5);
    expect(t.resolve(5, null, 'old answer')).toBe(true);
    await expect(old).resolves.toBe('old answer');
    const fresh = t.add(5);
    await new Promise((r) => setTimeout(r, 10));
    expect(t.resolve(5, null, 'fresh answer')).toBe(true);
    await expect(fresh).resolves.toBe('fresh answer');
  });

  it('times out each request on its own timer and fails all on a forced clear', async () => {
    const t = new RequestTable(20);
    await expect(t.add(1)).rejects.toThrow('ERR_TIMEOUT');
    expect(t.resolve(1, null, 'late')).toBe(false);
    const a = t.add(2);
    const b = t.add(3);
    t.clear(true);
    await expect(a).rejects.toThrow('ERR_TIMEOUT');
    await expect(b).rejects.toThrow('ERR_TIMEOUT');
    expect(t.size).toBe(0);
  });

  it('fails a request whose id is taken over instead of orphaning it', async () => {
    const t = new RequestTable(1000);
    const first = t.add(9);
    const second = t.add(9);
    await expect(first).rejects.toThrow('ERR_TIMEOUT');
    t.resolve(9, new Error('BacnetError - Class:1 - Code:31'));
    await expect(second).rejects.toThrow('Class:1');
  });
});
