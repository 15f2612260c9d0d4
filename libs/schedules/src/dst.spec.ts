/**
 * DST with a fake clock (instants only): a transition inside the spring-forward
 * gap happens at the gap's end; one inside the repeated autumn hour happens once.
 */
import { describe, expect, it } from '@jest/globals';
import { effectiveAt, nextChange } from './index.js';
import type { Schedule } from './index.js';
import { everyDay, instant, schedule, week } from './test-support/builders.js';

function changes(s: Schedule, zone: string, fromIso: string, count: number): string[] {
  const out: string[] = [];
  let t = instant(fromIso);
  for (let i = 0; i < count; i++) {
    const change = nextChange(s, [], zone, t);
    if (change === null) break;
    out.push(`${change.at.toISOString()} ${String(change.value)}`);
    t = change.at;
  }
  return out;
}
const valueAt = (s: Schedule, zone: string, iso: string): number | null =>
  effectiveAt(s, [], zone, instant(iso)).value;

describe('Europe/Berlin', () => {
  it('spring forward (2025-03-30, 02:00 -> 03:00): a 02:30 transition happens at 03:00 CEST', () => {
    const s = schedule({ scheduleDefault: 0, weekly: week({ sunday: [{ time: '02:30', value: 1 }] }) });
    expect(changes(s, 'Europe/Berlin', '2025-03-29T23:00:00Z', 2)).toEqual([
      '2025-03-30T01:00:00.000Z 1',
      '2025-03-30T22:00:00.000Z 0',
    ]);
    expect(valueAt(s, 'Europe/Berlin', '2025-03-30T00:59:59.999Z')).toBe(0);
    expect(valueAt(s, 'Europe/Berlin', '2025-03-30T01:00:00Z')).toBe(1);
  });

  it('spring forward: of two times inside the gap, the later one wins at the gap end', () => {
    const s = schedule({
      scheduleDefault: 0,
      weekly: week({
        sunday: [
          { time: '02:15', value: 1 },
          { time: '02:45', value: 2 },
        ],
      }),
    });
    expect(changes(s, 'Europe/Berlin', '2025-03-29T23:00:00Z', 1)).toEqual(['2025-03-30T01:00:00.000Z 2']);
  });

  it('fall back (2025-10-26, 03:00 -> 02:00): a 02:30 transition happens once, at its first occurrence', () => {
    const s = schedule({
      scheduleDefault: 0,
      weekly: week({
        sunday: [
          { time: '01:00', value: 5 },
          { time: '02:30', value: 1 },
          { time: '04:00', value: 2 },
        ],
      }),
    });
    expect(changes(s, 'Europe/Berlin', '2025-10-25T22:00:00Z', 4)).toEqual([
      '2025-10-25T23:00:00.000Z 5',
      '2025-10-26T00:30:00.000Z 1',
      '2025-10-26T03:00:00.000Z 2',
      '2025-10-26T23:00:00.000Z 0',
    ]);
    // The repeated 02:00-02:59 (CET) neither undoes 02:30 nor repeats it.
    expect(valueAt(s, 'Europe/Berlin', '2025-10-26T01:15:00Z')).toBe(1);
    expect(valueAt(s, 'Europe/Berlin', '2025-10-26T01:30:00Z')).toBe(1);
  });

  it('keeps daily wall-clock times on the 23-hour and 25-hour days', () => {
    const s = schedule({
      scheduleDefault: 0,
      weekly: everyDay([
        { time: '00:00', value: 1 },
        { time: '12:00', value: 2 },
      ]),
    });
    expect(changes(s, 'Europe/Berlin', '2025-03-29T12:00:00Z', 4)).toEqual([
      '2025-03-29T23:00:00.000Z 1',
      '2025-03-30T10:00:00.000Z 2',
      '2025-03-30T22:00:00.000Z 1',
      '2025-03-31T10:00:00.000Z 2',
    ]);
    expect(changes(s, 'Europe/Berlin', '2025-10-25T12:00:00Z', 3)).toEqual([
      '2025-10-25T22:00:00.000Z 1',
      '2025-10-26T11:00:00.000Z 2',
      '2025-10-26T23:00:00.000Z 1',
    ]);
  });

  it('applies an exception in the repeated hour once', () => {
    const s = schedule({
      scheduleDefault: 0,
      exceptions: [
        { period: { kind: 'date', date: '2025-10-26' }, times: [{ time: '02:30', value: 7 }], priority: 1 },
      ],
    });
    expect(changes(s, 'Europe/Berlin', '2025-10-25T22:00:00Z', 2)).toEqual([
      '2025-10-26T00:30:00.000Z 7',
      '2025-10-26T23:00:00.000Z 0',
    ]);
  });
});

describe('America/New_York', () => {
  it('spring forward (2025-03-09, 02:00 -> 03:00): a 02:30 transition happens at 03:00 EDT', () => {
    const s = schedule({ scheduleDefault: 0, weekly: week({ sunday: [{ time: '02:30', value: 1 }] }) });
    expect(changes(s, 'America/New_York', '2025-03-09T05:00:00Z', 1)).toEqual(['2025-03-09T07:00:00.000Z 1']);
    expect(valueAt(s, 'America/New_York', '2025-03-09T06:59:59Z')).toBe(0);
    expect(valueAt(s, 'America/New_York', '2025-03-09T07:00:00Z')).toBe(1);
  });

  it('fall back (2025-11-02, 02:00 -> 01:00): a 01:30 transition happens once', () => {
    const s = schedule({
      scheduleDefault: 0,
      weekly: week({
        sunday: [
          { time: '01:30', value: 1 },
          { time: '03:00', value: 2 },
        ],
      }),
    });
    expect(changes(s, 'America/New_York', '2025-11-02T04:00:00Z', 3)).toEqual([
      '2025-11-02T05:30:00.000Z 1',
      '2025-11-02T08:00:00.000Z 2',
      '2025-11-03T05:00:00.000Z 0',
    ]);
    expect(valueAt(s, 'America/New_York', '2025-11-02T06:15:00Z')).toBe(1); // 01:15 EST, the second time round
  });

  it('on the fall-back day, a 02:30 entry (after the repeated hour) happens at 02:30 EST', () => {
    const s = schedule({ scheduleDefault: 0, weekly: week({ sunday: [{ time: '02:30', value: 1 }] }) });
    expect(changes(s, 'America/New_York', '2025-11-02T04:00:00Z', 1)).toEqual(['2025-11-02T07:30:00.000Z 1']);
  });
});
