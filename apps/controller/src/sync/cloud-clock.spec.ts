/** The signing clock corrects a controller clock that is off by the cloud's Date header, and ignores noise within its 1 s resolution. */
import { describe, expect, it } from '@jest/globals';
import { CloudClock } from './cloud-clock.js';

const local = { ms: Date.UTC(2026, 5, 1, 8, 0, 0) };
const clock = { now: () => local.ms };
const httpDate = (ms: number): string => new Date(ms).toUTCString();

describe('CloudClock', () => {
  it('learns a controller clock 10 minutes slow from one answer, within the Date header resolution', () => {
    const c = new CloudClock(clock);
    const cloudNow = local.ms + 600_000 + 300;
    expect(c.observe(httpDate(cloudNow), local.ms - 40, local.ms)).toBe(true);
    expect(Math.abs(c.now() - (cloudNow - 20))).toBeLessThanOrEqual(520);
  });

  it('learns a clock 2 minutes fast', () => {
    const c = new CloudClock(clock);
    expect(c.observe(httpDate(local.ms - 120_000), local.ms, local.ms)).toBe(true);
    expect(c.offsetMs).toBeGreaterThan(-120_000);
    expect(c.offsetMs).toBeLessThanOrEqual(-119_000);
  });

  it('keeps the offset when the next answer agrees within the uncertainty', () => {
    const c = new CloudClock(clock);
    c.observe(httpDate(local.ms + 600_000), local.ms, local.ms);
    const learned = c.offsetMs;
    expect(c.observe(httpDate(local.ms + 600_900), local.ms, local.ms)).toBe(false);
    expect(c.offsetMs).toBe(learned);
  });

  it('does not move for a synchronised clock, nor on a missing or malformed Date', () => {
    const c = new CloudClock(clock);
    expect(c.observe(httpDate(local.ms), local.ms - 10, local.ms)).toBe(false);
    expect(c.observe(undefined, local.ms, local.ms)).toBe(false);
    expect(c.observe('yesterday-ish', local.ms, local.ms)).toBe(false);
    expect(c.now()).toBe(local.ms);
  });
});
