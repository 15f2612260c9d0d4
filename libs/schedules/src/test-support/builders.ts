/** Small builders for schedule specs: a schedule is mostly defaults plus the part a test is about. */
import type { Calendar, Schedule, TimeValue, WeeklySchedule } from '../types.js';

export function week(days: Partial<WeeklySchedule> = {}): WeeklySchedule {
  return {
    monday: [],
    tuesday: [],
    wednesday: [],
    thursday: [],
    friday: [],
    saturday: [],
    sunday: [],
    ...days,
  };
}

export function everyDay(times: TimeValue[]): WeeklySchedule {
  return week({
    monday: times,
    tuesday: times,
    wednesday: times,
    thursday: times,
    friday: times,
    saturday: times,
    sunday: times,
  });
}

const officeDay: TimeValue[] = [
  { time: '07:00', value: 21 },
  { time: '18:00', value: 16 },
];

/** Office hours on weekdays: 21 from 07:00, 16 from 18:00; default 12. */
export const officeWeek: WeeklySchedule = week({
  monday: officeDay,
  tuesday: officeDay,
  wednesday: officeDay,
  thursday: officeDay,
  friday: officeDay,
});

export function schedule(overrides: Partial<Schedule> = {}): Schedule {
  return {
    id: 'sch-1',
    name: 'Office heating',
    weekly: week(),
    exceptions: [],
    effectivePeriod: { from: 'any', to: 'any' },
    scheduleDefault: 12,
    ...overrides,
  };
}

export const holidays: Calendar = {
  name: 'public holidays',
  entries: [
    { kind: 'date', date: '*-12-25' },
    { kind: 'range', from: '2025-12-29', to: '2025-12-31' },
    { kind: 'weekNDay', month: 5, weekOfMonth: 'last', dayOfWeek: 'monday' },
  ],
};

/** An instant from an ISO string with an explicit offset or Z: tests name instants, never the host's zone. */
export function instant(iso: string): Date {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime()) || !/(Z|[+-]\d\d:\d\d)$/.test(iso)) throw new Error(`bad instant ${iso}`);
  return date;
}
