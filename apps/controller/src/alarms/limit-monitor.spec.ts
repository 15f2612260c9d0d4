import { describe, expect, it } from '@jest/globals';
import { LimitMonitor } from './limit-monitor.js';

const S = 1000;

describe('LimitMonitor (deadband and on-delay, injected time)', () => {
  it('raises high only after the value stayed above the limit for delaySeconds', () => {
    const m = new LimitMonitor({ point: 'd.p', high: 30, deadband: 1, delaySeconds: 5 });
    expect(m.step(31, 0)).toEqual([]);
    expect(m.step(31, 4 * S)).toEqual([]);
    expect(m.step(31.5, 5 * S)).toEqual([{ side: 'high', action: 'raise', value: 31.5, limit: 30 }]);
    expect(m.isAlarmed('high')).toBe(true);
    expect(m.step(32, 6 * S)).toEqual([]); // raised once
  });

  it('restarts the on-delay when the value comes back inside, and treats equal as inside', () => {
    const m = new LimitMonitor({ point: 'd.p', high: 30, delaySeconds: 5 });
    m.step(31, 0);
    expect(m.step(30, 3 * S)).toEqual([]);
    expect(m.step(31, 4 * S)).toEqual([]);
    expect(m.step(31, 8 * S)).toEqual([]);
    expect(m.step(31, 9 * S)).toHaveLength(1);
  });

  it('clears high only once the value is back by the deadband (no chattering at the limit)', () => {
    const m = new LimitMonitor({ point: 'd.p', high: 30, deadband: 1 });
    expect(m.step(30.5, 0)).toHaveLength(1);
    expect(m.step(29.5, S)).toEqual([]);
    expect(m.step(30.2, 2 * S)).toEqual([]);
    expect(m.step(29, 3 * S)).toEqual([{ side: 'high', action: 'clear', value: 29, limit: 30 }]);
    expect(m.step(30.1, 4 * S)).toHaveLength(1); // a new occurrence
  });

  it('low is the mirror image', () => {
    const m = new LimitMonitor({ point: 'd.p', low: 16, deadband: 0.5, delaySeconds: 2 });
    expect(m.step(15, 0)).toEqual([]);
    expect(m.step(15, 2 * S)).toEqual([{ side: 'low', action: 'raise', value: 15, limit: 16 }]);
    expect(m.step(16.4, 3 * S)).toEqual([]);
    expect(m.step(16.5, 4 * S)).toEqual([{ side: 'low', action: 'clear', value: 16.5, limit: 16 }]);
  });

  it('a value that is not good neither raises nor clears, and restarts a running on-delay', () => {
    const m = new LimitMonitor({ point: 'd.p', high: 30, low: 10, delaySeconds: 2 });
    m.step(31, 0);
    expect(m.step(null, S)).toEqual([]);
    expect(m.step(31, 2 * S)).toEqual([]); // the wait started again at 2 s
    expect(m.step(31, 4 * S)).toHaveLength(1);
    expect(m.step(null, 5 * S)).toEqual([]);
    expect(m.isAlarmed('high')).toBe(true);
  });

  it('starts from the alarms still uncleared in the store after a restart', () => {
    const m = new LimitMonitor({ point: 'd.p', high: 30, low: 10 }, { high: true });
    expect(m.step(35, 0)).toEqual([]);
    expect(m.step(20, S)).toEqual([{ side: 'high', action: 'clear', value: 20, limit: 30 }]);
    expect(m.isAlarmed('low')).toBe(false);
  });
});
