/** BACnet Schedule and Calendar shapes: the mapping field by field, what cannot be carried, and round trips. */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  BACNET_UNSPECIFIED as ANY,
  BacnetConversionError,
  bacnetValueType,
  fromBacnetCalendar,
  fromBacnetSchedule,
  toBacnetCalendar,
  toBacnetSchedule,
} from './index.js';
import type { BacnetScheduleObject, BacnetValueType } from './index.js';
import { entryArb, scheduleArb } from './test-support/arbitraries.js';
import { holidays, officeWeek, schedule, week } from './test-support/builders.js';

const instances = new Map([
  ['public holidays', 3],
  ['plant shutdown', 7],
  ['school terms', 11],
]);
const anyDate = { year: ANY, month: ANY, day: ANY, dayOfWeek: ANY };
const sample = schedule({
  weekly: officeWeek,
  effectivePeriod: { from: '2025-01-01', to: 'any' },
  exceptions: [
    {
      period: { kind: 'weekNDay', month: 5, weekOfMonth: 'last', dayOfWeek: 'monday' },
      times: [{ time: '06:30:15', value: 18 }],
      priority: 9,
    },
    { period: { kind: 'date', date: '*-12-25' }, times: [{ time: '00:00', value: null }], priority: 10 },
    {
      period: { kind: 'calendar', calendar: 'public holidays' },
      times: [{ time: '00:00', value: 14 }],
      priority: 11,
    },
  ],
});

function conversionIssues(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof BacnetConversionError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  throw new Error('expected a BacnetConversionError');
}

describe('toBacnetSchedule', () => {
  const obj = toBacnetSchedule(sample, { calendarInstances: instances });

  it('writes 7 daily schedules, Monday first, as BACnetTimeValue with REAL values', () => {
    expect(obj.weeklySchedule).toHaveLength(7);
    expect(obj.weeklySchedule[0].daySchedule).toEqual([
      { time: { hour: 7, minute: 0, second: 0, hundredths: 0 }, value: { type: 'real', value: 21 } },
      { time: { hour: 18, minute: 0, second: 0, hundredths: 0 }, value: { type: 'real', value: 16 } },
    ]);
    expect(obj.weeklySchedule[5].daySchedule).toEqual([]);
    expect(obj.scheduleDefault).toEqual({ type: 'real', value: 12 });
    expect(obj.objectName).toBe('Office heating');
  });

  it('writes special events: week-and-day octets, yearly dates with year 255, calendar references', () => {
    expect(obj.exceptionSchedule[0]).toEqual({
      period: {
        type: 'calendarEntry',
        calendarEntry: { type: 'weekNDay', weekNDay: { month: 5, weekOfMonth: 6, dayOfWeek: 1 } },
      },
      listOfTimeValues: [
        { time: { hour: 6, minute: 30, second: 15, hundredths: 0 }, value: { type: 'real', value: 18 } },
      ],
      eventPriority: 9,
    });
    expect(obj.exceptionSchedule[1].period).toEqual({
      type: 'calendarEntry',
      calendarEntry: { type: 'date', date: { year: ANY, month: 12, day: 25, dayOfWeek: ANY } },
    });
    expect(obj.exceptionSchedule[1].listOfTimeValues[0].value).toEqual({ type: 'null' });
    expect(obj.exceptionSchedule[2].period).toEqual({
      type: 'calendarReference',
      calendarReference: { type: 6, instance: 3 },
    });
  });

  it('writes an open end of the effective period as a fully unspecified date', () => {
    expect(obj.effectivePeriod).toEqual({
      startDate: { year: 2025, month: 1, day: 1, dayOfWeek: ANY },
      endDate: anyDate,
    });
  });

  it('names what it cannot carry: an unknown calendar, a value outside the datatype', () => {
    expect(conversionIssues(() => toBacnetSchedule(sample))).toEqual([
      'exceptions[2].period.calendar: no Calendar object instance given for calendar "public holidays"',
    ]);
    const binary = schedule({
      weekly: week({ monday: [{ time: '07:00', value: 2 }] }),
      scheduleDefault: 0,
    });
    expect(conversionIssues(() => toBacnetSchedule(binary, { valueType: 'boolean' }))).toEqual([
      'weekly.monday[0].value: a boolean schedule holds 0 or 1, got 2',
    ]);
    expect(
      toBacnetSchedule(schedule({ scheduleDefault: 1 }), { valueType: 'boolean' }).scheduleDefault,
    ).toEqual({
      type: 'boolean',
      value: true,
    });
  });
});

describe('fromBacnetSchedule', () => {
  const base = toBacnetSchedule(sample, { calendarInstances: instances });

  it('reads back what toBacnetSchedule wrote', () => {
    expect(fromBacnetSchedule(base, { id: 'sch-1', calendarInstances: instances })).toEqual(sample);
  });

  it('accepts a weekday octet that agrees with its date, and writes it back unspecified', () => {
    const withWeekday: BacnetScheduleObject = {
      ...base,
      effectivePeriod: { startDate: { year: 2025, month: 1, day: 1, dayOfWeek: 3 }, endDate: anyDate },
    };
    const plain = fromBacnetSchedule(withWeekday, { id: 'sch-1', calendarInstances: instances });
    expect(plain.effectivePeriod.from).toBe('2025-01-01');
    expect(
      toBacnetSchedule(plain, { calendarInstances: instances }).effectivePeriod.startDate.dayOfWeek,
    ).toBe(ANY);
  });

  it('names every field the plain types cannot hold', () => {
    const bad: BacnetScheduleObject = {
      ...base,
      effectivePeriod: {
        startDate: { year: 2025, month: 13, day: 32, dayOfWeek: ANY },
        endDate: { year: 2025, month: 12, day: 25, dayOfWeek: 1 },
      },
      weeklySchedule: [
        {
          daySchedule: [
            { time: { hour: 7, minute: 0, second: 0, hundredths: 50 }, value: { type: 'real', value: 1 } },
          ],
        },
        {
          daySchedule: [
            { time: { hour: ANY, minute: 0, second: 0, hundredths: 0 }, value: { type: 'real', value: 1 } },
          ],
        },
        {
          daySchedule: [
            {
              time: { hour: 8, minute: 0, second: 0, hundredths: 0 },
              value: { type: 'enumerated', value: 1 },
            },
          ],
        },
        ...base.weeklySchedule.slice(3),
      ],
      exceptionSchedule: [
        {
          ...base.exceptionSchedule[2],
          period: { type: 'calendarReference', calendarReference: { type: 6, instance: 99 } },
        },
        {
          ...base.exceptionSchedule[2],
          period: { type: 'calendarReference', calendarReference: { type: 17, instance: 3 } },
        },
        { ...base.exceptionSchedule[0], eventPriority: 0 },
      ],
    };
    expect(
      conversionIssues(() => fromBacnetSchedule(bad, { id: 'x', calendarInstances: instances })),
    ).toEqual([
      'weeklySchedule[0].daySchedule[0].time.hundredths: hundredths of a second are not supported, got 50',
      'weeklySchedule[1].daySchedule[0].time: unspecified (255) time fields are not allowed in a schedule',
      'exceptionSchedule[0].period.calendarReference: no calendar name given for Calendar object instance 99',
      'exceptionSchedule[1].period.calendarReference: must name a Calendar object (type 6), got type 17',
      'exceptionSchedule[2].eventPriority: must be 1-16, got 0',
      'weeklySchedule[2].daySchedule[0].value: datatype enumerated differs from real at weeklySchedule[0].daySchedule[0].value: a Schedule holds one datatype',
      'effectivePeriod.startDate.month: month 13 (odd, even or any) in a Date is not supported: use a week-and-day',
      'effectivePeriod.startDate.day: day 32 (last, odd, even or any) in a Date is not supported',
      "effectivePeriod.endDate.dayOfWeek: weekday 1 on 2025-12-25 is not supported (only 255 or the date's own)",
    ]);
    expect(
      conversionIssues(() =>
        fromBacnetSchedule(
          { ...base, weeklySchedule: base.weeklySchedule.slice(1) },
          { id: 'x', calendarInstances: instances },
        ),
      ),
    ).toEqual(['weeklySchedule: must hold 7 days (Monday first), got 6']);
  });
});

describe('calendars', () => {
  it('map Date_List entries one to one', () => {
    expect(toBacnetCalendar(holidays)).toEqual({
      objectName: 'public holidays',
      dateList: [
        { type: 'date', date: { year: ANY, month: 12, day: 25, dayOfWeek: ANY } },
        {
          type: 'dateRange',
          dateRange: {
            startDate: { year: 2025, month: 12, day: 29, dayOfWeek: ANY },
            endDate: { year: 2025, month: 12, day: 31, dayOfWeek: ANY },
          },
        },
        { type: 'weekNDay', weekNDay: { month: 5, weekOfMonth: 6, dayOfWeek: 1 } },
      ],
    });
    expect(fromBacnetCalendar(toBacnetCalendar(holidays))).toEqual(holidays);
  });

  it('refuse an open-ended date range in a Date_List', () => {
    const open = {
      objectName: 'x',
      dateList: [{ type: 'dateRange' as const, dateRange: { startDate: anyDate, endDate: anyDate } }],
    };
    expect(conversionIssues(() => fromBacnetCalendar(open))).toEqual([
      'dateList[0].dateRange.startDate.year: an unspecified year is only supported in a single date',
      'dateList[0].dateRange.startDate.month: month 255 (odd, even or any) in a Date is not supported: use a week-and-day',
      'dateList[0].dateRange.startDate.day: day 255 (last, odd, even or any) in a Date is not supported',
      'dateList[0].dateRange.endDate.year: an unspecified year is only supported in a single date',
      'dateList[0].dateRange.endDate.month: month 255 (odd, even or any) in a Date is not supported: use a week-and-day',
      'dateList[0].dateRange.endDate.day: day 255 (last, odd, even or any) in a Date is not supported',
    ]);
  });
});

describe('round trips (property)', () => {
  const valuesOf: Record<BacnetValueType, fc.Arbitrary<number | null>> = {
    real: fc.oneof(fc.constant(null), fc.double({ noNaN: true, noDefaultInfinity: true })),
    double: fc.oneof(fc.constant(null), fc.double({ noNaN: true, noDefaultInfinity: true })),
    unsigned: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 0xffff_ffff })),
    enumerated: fc.oneof(fc.constant(null), fc.nat({ max: 20 })),
    signed: fc.oneof(fc.constant(null), fc.integer({ min: -0x7fff_ffff, max: 0x7fff_ffff })),
    boolean: fc.constantFrom(null, 0, 1),
  };
  const typed = fc
    .constantFrom<BacnetValueType>('real', 'double', 'unsigned', 'enumerated', 'signed', 'boolean')
    .chain((valueType) =>
      scheduleArb(valuesOf[valueType], [...instances.keys()]).map((s) => ({ s, valueType })),
    );

  it('plain -> BACnet -> plain leaves a schedule unchanged, for every datatype', () => {
    fc.assert(
      fc.property(typed, ({ s, valueType }) => {
        const obj = toBacnetSchedule(s, { valueType, calendarInstances: instances });
        const back = fromBacnetSchedule(obj, {
          id: s.id,
          timeZone: s.timeZone,
          calendarInstances: instances,
        });
        expect(back).toEqual(s);
      }),
      { numRuns: 300 },
    );
  });

  it('BACnet -> plain -> BACnet leaves an object unchanged (its datatype read back from it)', () => {
    fc.assert(
      fc.property(typed, ({ s, valueType }) => {
        const obj = toBacnetSchedule(s, { valueType, calendarInstances: instances });
        const plain = fromBacnetSchedule(obj, { id: 'any', calendarInstances: instances });
        const again = toBacnetSchedule(plain, {
          valueType: bacnetValueType(obj) ?? 'real',
          calendarInstances: instances,
        });
        expect(again).toEqual(obj);
      }),
      { numRuns: 300 },
    );
  });

  it('a calendar survives the round trip', () => {
    fc.assert(
      fc.property(fc.string(), fc.array(entryArb, { maxLength: 5 }), (name, entries) => {
        expect(fromBacnetCalendar(toBacnetCalendar({ name, entries }))).toEqual({ name, entries });
      }),
    );
  });
});
