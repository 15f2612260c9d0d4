/** Alarms: a schedule ending within 14 days, and a schedule that never changes. */
import { describe, expect, it } from '@jest/globals';
import { scheduleAlarms } from './index.js';
import { instant, officeWeek, schedule } from './test-support/builders.js';

const DAY = 86_400_000;
const BERLIN = 'Europe/Berlin';

describe('scheduleAlarms', () => {
  const ending = schedule({ weekly: officeWeek, effectivePeriod: { from: 'any', to: '2025-06-30' } });
  // The period ends when 30 June ends in Berlin: 2025-07-01T00:00+02:00.
  const endsAt = Date.parse('2025-06-30T22:00:00Z');

  it('raises ending-soon from exactly 14 days before the end', () => {
    const alarms = scheduleAlarms(ending, [], BERLIN, new Date(endsAt - 14 * DAY));
    expect(alarms).toEqual([
      {
        kind: 'ending-soon',
        scheduleId: 'sch-1',
        endsAt: new Date(endsAt),
        message:
          'schedule "Office heating" (sch-1) ends after 2025-06-30 (in 14.0 days); then it holds its default 12',
      },
    ]);
    expect(scheduleAlarms(ending, [], BERLIN, new Date(endsAt - 1))).toHaveLength(1);
  });

  it('is quiet a millisecond earlier, and for an open-ended schedule', () => {
    expect(scheduleAlarms(ending, [], BERLIN, new Date(endsAt - 14 * DAY - 1))).toEqual([]);
    expect(
      scheduleAlarms(schedule({ weekly: officeWeek }), [], BERLIN, instant('2025-06-20T10:00:00Z')),
    ).toEqual([]);
  });

  it('reads the end in the schedule zone', () => {
    const ny = { ...ending, timeZone: 'America/New_York' };
    const [alarm] = scheduleAlarms(ny, [], BERLIN, instant('2025-06-20T10:00:00Z'));
    expect(alarm).toMatchObject({ kind: 'ending-soon', endsAt: instant('2025-07-01T04:00:00Z') });
  });

  it('raises no-transitions once the period has ended: only the default remains', () => {
    expect(scheduleAlarms(ending, [], BERLIN, new Date(endsAt))).toEqual([
      {
        kind: 'no-transitions',
        scheduleId: 'sch-1',
        message:
          'schedule "Office heating" (sch-1) has no transitions: it holds 12 for at least the next 400 days',
      },
    ]);
  });

  it('raises no-transitions for a schedule whose entries never change the value', () => {
    const flat = schedule({
      scheduleDefault: 20,
      weekly: { ...officeWeek, monday: [{ time: '00:00', value: 20 }] },
    });
    const steady = {
      ...flat,
      weekly: { ...flat.weekly, tuesday: [], wednesday: [], thursday: [], friday: [] },
    };
    expect(scheduleAlarms(steady, [], BERLIN, instant('2025-06-20T10:00:00Z')).map((a) => a.kind)).toEqual([
      'no-transitions',
    ]);
  });
});
