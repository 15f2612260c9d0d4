import { describe, expect, it } from '@jest/globals';
import { acknowledge, alarmState, clear, matchesState } from './alarm-state.js';
import type { AlarmInstants } from './alarm-state.js';

const at = (clearedAt: number | null, acknowledgedAt: number | null): AlarmInstants => ({
  clearedAt,
  acknowledgedAt,
});

describe('alarm state machine (ISA-18.2)', () => {
  it('active -> acknowledged -> closed when acknowledged first', () => {
    let a = at(null, null);
    expect(alarmState(a)).toBe('active');
    expect(acknowledge(a)).toEqual({ ok: true, to: 'acknowledged' });
    a = at(null, 1);
    expect(alarmState(a)).toBe('acknowledged');
    expect(clear(a)).toEqual({ ok: true, to: 'closed' });
    expect(alarmState(at(2, 1))).toBe('closed');
  });

  it('an alarm that clears before acknowledgement stays cleared (unacknowledged) until acknowledged', () => {
    const a = at(1, null);
    expect(clear(at(null, null))).toEqual({ ok: true, to: 'cleared' });
    expect(alarmState(a)).toBe('cleared');
    expect(matchesState('cleared', 'open')).toBe(true);
    expect(acknowledge(a)).toEqual({ ok: true, to: 'closed' });
  });

  it('acknowledges once and clears once', () => {
    expect(acknowledge(at(null, 1))).toEqual({ ok: false, reason: 'already-acknowledged' });
    expect(acknowledge(at(2, 1))).toEqual({ ok: false, reason: 'already-acknowledged' });
    expect(clear(at(2, null))).toEqual({ ok: false, reason: 'already-cleared' });
  });

  it('the filters partition the states: open is all but closed, all is everything', () => {
    const states = ['active', 'acknowledged', 'cleared', 'closed'] as const;
    for (const s of states) {
      expect(matchesState(s, s)).toBe(true);
      expect(states.filter((o) => matchesState(o, s))).toEqual([s]);
    }
    expect(states.filter((s) => matchesState(s, 'open'))).toEqual(['active', 'acknowledged', 'cleared']);
    expect(states.filter((s) => matchesState(s, 'all'))).toEqual([...states]);
  });
});
