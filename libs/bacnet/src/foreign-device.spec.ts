/**
 * Foreign-device registration (Annex J.5.2) on fake timers: registered at
 * once, renewed at half the TTL, retried at the same pace after a NAK or no
 * answer, and the status says which.
 */
import { describe, expect, it } from '@jest/globals';
import { ForeignDeviceRegistration } from './foreign-device.js';
import type { ForeignDeviceTimers } from './foreign-device.js';
import { BVLC_RESULT, encodeBvlcResult } from './wire.js';

class FakeTimers implements ForeignDeviceTimers {
  t = 0;
  private seq = 0;
  private timers: { id: number; at: number; fn: () => void }[] = [];
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.push({ id, at: this.t + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== handle);
  }
  now(): number {
    return this.t;
  }
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await new Promise((r) => setImmediate(r));
      const next = this.timers.filter((x) => x.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = next.at;
      next.fn();
    }
    this.t = target;
  }
}

const BBMD = '10.0.0.1:47808';

function setup(answer: (n: number) => number | undefined) {
  const timers = new FakeTimers();
  const sent: [number, string][] = [];
  const reg: ForeignDeviceRegistration = new ForeignDeviceRegistration({
    bbmd: BBMD,
    ttlSeconds: 60,
    timeoutMs: 1000,
    timers,
    send: (frame, to) => {
      sent.push([timers.now(), frame.toString('hex')]);
      const code = answer(sent.length);
      if (code !== undefined) queueMicrotask(() => reg.handle(encodeBvlcResult(code), to));
    },
  });
  return { reg, timers, sent };
}

describe('ForeignDeviceRegistration', () => {
  it('registers with the TTL at once, then renews every 30 s of a 60 s TTL', async () => {
    const { reg, timers, sent } = setup(() => BVLC_RESULT.SUCCESS);
    await reg.start();
    expect(sent).toEqual([[0, '81050006003c']]);
    expect(reg.status()).toMatchObject({
      bbmd: BBMD,
      registered: true,
      registrations: 1,
      lastRegisteredAt: 0,
    });
    await timers.advance(29_999);
    expect(sent).toHaveLength(1);
    await timers.advance(1);
    await timers.advance(60_000);
    expect(sent.map(([t]) => t)).toEqual([0, 30_000, 60_000, 90_000]);
    expect(reg.status().registrations).toBe(4);
    reg.stop();
    await timers.advance(120_000);
    expect(sent).toHaveLength(4);
  });

  it('a NAK or silence is named in the status and retried at the same pace; registered again when the BBMD accepts', async () => {
    const { reg, timers, sent } = setup((n) =>
      n === 1 ? BVLC_RESULT.REGISTER_FOREIGN_DEVICE_NAK : n === 2 ? undefined : BVLC_RESULT.SUCCESS,
    );
    await expect(reg.start()).rejects.toMatchObject({
      kind: 'error',
      errorCode: 'register-foreign-device-failed',
    });
    expect(reg.status()).toMatchObject({ registered: false, registrations: 0 });
    expect(reg.status().lastError).toMatch(/refused foreign-device registration/);
    await timers.advance(30_000 + 1000); // the retry goes unanswered: times out after 1 s
    expect(reg.status().lastError).toMatch(/no BVLC-Result from BBMD 10\.0\.0\.1:47808 within 1000 ms/);
    await timers.advance(30_000);
    expect(reg.status()).toMatchObject({ registered: true, registrations: 1 });
    expect(reg.status().lastError).toBeUndefined();
    expect(sent.map(([t]) => t)).toEqual([0, 30_000, 61_000]);
    reg.stop();
  });

  it('ignores BVLC-Results from anyone but its BBMD, and NAKs meant for broadcasts', async () => {
    const { reg } = setup(() => undefined);
    const pending = reg.start().catch(() => undefined);
    expect(reg.handle(encodeBvlcResult(BVLC_RESULT.SUCCESS), '10.9.9.9:47808')).toBe(false);
    expect(reg.handle(encodeBvlcResult(BVLC_RESULT.DISTRIBUTE_BROADCAST_TO_NETWORK_NAK), BBMD)).toBe(false);
    expect(reg.handle(encodeBvlcResult(BVLC_RESULT.SUCCESS), BBMD)).toBe(true);
    await pending;
    expect(reg.status().registered).toBe(true);
    reg.stop();
  });
});
